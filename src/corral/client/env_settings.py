"""Settings read from ``CORRAL_*`` environment variables: the base of each program's settings.

A value given to the constructor (a command-line flag) wins over the environment
variable ``<prefix><FIELD NAME IN CAPITALS>``, which wins over the default. Values
from the environment are strings, converted and checked by pydantic. A field that is
itself a settings model reads its own prefix.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class EnvSettings(BaseModel):
    """Settings filled from environment variables named ``env_prefix + FIELD``."""

    model_config = ConfigDict(extra="ignore")
    env_prefix: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, data: Any) -> Any:
        values = dict(data) if isinstance(data, dict) else {}
        for name, info in cls.model_fields.items():
            var = cls.env_prefix + name.upper()
            nested = isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
            if name not in values and var in os.environ and not nested:
                values[name] = os.environ[var]
        return values
