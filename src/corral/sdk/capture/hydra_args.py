"""Hydra: the composed configuration and the command line's overrides, re-run with edits.

``hydra._internal.hydra.Hydra.run`` (what ``@hydra.main`` calls for a single run) is
wrapped when Hydra is imported. The app's function is wrapped too, so that inside the
job - after Hydra composed the configuration, changed the working folder and set up
logging - the capture records:

* the configuration object ``OmegaConf``: the composed configuration as YAML (the
  ``hydra`` node left out, interpolations kept);
* the section ``Hydra``: one row per override of the command line (``Hydra/lr`` =
  ``"0.5"`` for ``lr=0.5``, ``Hydra/db`` = ``"mysql"`` for a config group, a deletion
  ``~key`` as it is), and ``Hydra/_allow_omegaconf_edit_`` (``False``).

Hydra's own flags and overrides (``--multirun``, ``hydra.run.dir=...``) are not recorded.
Under an agent (``CORRAL_TASK_ID``), the stored rows are given to Hydra as overrides
(``++key=value``, which adds or replaces; ``key=value`` for a config group); when
``Hydra/_allow_omegaconf_edit_`` is ``True`` the overrides are not applied and the app
gets the stored ``OmegaConf`` configuration, as edited, instead of the composed one.
This is ClearML's layout and behaviour.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
from typing import Any

from corral.sdk.capture import cli_state
from corral.sdk.params import cast

log = logging.getLogger("corral.sdk")

#: the configuration object of the composed configuration
CONFIG = "OmegaConf"
#: the section of the command line's overrides
SECTION = "Hydra"
#: the row that makes the agent take the edited configuration instead of the overrides
ALLOW_EDIT = "_allow_omegaconf_edit_"
ALLOW_EDIT_HELP = (
    f"True: an agent ignores the other {SECTION}/ rows and runs the app with the "
    f"{CONFIG} configuration as edited"
)

_lock = threading.Lock()
_original_run: Any = None
#: what the latest job recorded: (override rows or None under an agent, configuration item)
_recorded: tuple[dict[str, dict[str, Any]] | None, dict[str, Any]] | None = None


def install() -> None:
    """Wrap ``Hydra.run`` if Hydra's app runner is imported (idempotent)."""
    global _original_run
    module = sys.modules.get("hydra._internal.hydra")
    if module is None:
        return
    with _lock:
        if _original_run is not None:
            return
        _original_run = module.Hydra.run
        module.Hydra.run = _run


def uninstall() -> None:
    global _original_run
    module = sys.modules.get("hydra._internal.hydra")
    with _lock:
        if module is not None and _original_run is not None:
            module.Hydra.run = _original_run
        _original_run = None


def attached() -> None:
    """A task was attached (``Task.init`` inside the app): report the job's capture."""
    _report()


def _run(
    self: Any, config_name: Any, task_function: Any, overrides: Any, *args: Any, **kw: Any
) -> Any:
    stored = _stored_rows()
    edited = False
    if stored is not None:
        edited = cli_state.truthy((stored.get(ALLOW_EDIT) or {}).get("value"))
        if not edited:
            overrides = [*overrides, *stored_overrides(self, stored)]

    @functools.wraps(task_function)
    def job(cfg: Any) -> Any:
        if edited:
            cfg = _edited_configuration(cfg)
        try:
            _capture(self, cfg, remote=stored is not None)
        except Exception:
            log.debug("corral: could not capture Hydra's configuration", exc_info=True)
        return task_function(cfg)

    return _original_run(self, config_name, job, overrides, *args, **kw)


def _stored_rows() -> dict[str, dict[str, Any]] | None:
    """Under an agent, the stored ``Hydra`` rows (``{}`` when there are none)."""
    try:
        if cli_state.stored_task() is None:
            return None
        return cli_state.stored_section(SECTION) or {}
    except Exception:
        return None


def _edited_configuration(cfg: Any) -> Any:
    from omegaconf import DictConfig, OmegaConf

    text = cli_state.stored_configuration(CONFIG)
    if not text:
        raise ValueError(
            f"{SECTION}/{ALLOW_EDIT} is True but the task has no {CONFIG} configuration: "
            f"set {SECTION}/{ALLOW_EDIT} to False, or give the task its {CONFIG} configuration"
        )
    edited = OmegaConf.create(text)
    if not isinstance(edited, DictConfig):
        raise ValueError(f"the task's {CONFIG} configuration is not a YAML mapping: fix it")
    OmegaConf.set_struct(edited, OmegaConf.is_struct(cfg))
    return edited


def _capture(hydra: Any, cfg: Any, remote: bool) -> None:
    global _recorded
    from omegaconf import OmegaConf

    item = {
        "type": "yaml",
        "value": OmegaConf.to_yaml(cfg, resolve=False),
        "description": f"Hydra's configuration; read-only unless {SECTION}/{ALLOW_EDIT} is True",
    }
    rows = None
    if not remote:
        from hydra.core.hydra_config import HydraConfig

        rows = override_rows(hydra, [str(o) for o in HydraConfig.get().overrides.task])
    with _lock:
        _recorded = (rows, item)
    _report()


def _report() -> None:
    if cli_state.handle() is None:
        return
    with _lock:
        recorded = _recorded
    if recorded is None:
        return
    rows, item = recorded
    if rows is not None:
        cli_state.report_section(SECTION, rows)
    cli_state.report_configuration(CONFIG, item)


def override_rows(hydra: Any, overrides: list[str]) -> dict[str, dict[str, Any]]:
    """The ``Hydra`` rows of the command line's overrides (``key=value`` -> ``key``: ``value``)."""
    rows: dict[str, dict[str, Any]] = {}
    for text in overrides:
        key, eq, value = text.partition("=")
        if not key.startswith("~") and not _is_group(hydra, key.lstrip("+")):
            key = key.lstrip("+")  # an agent adds or replaces it (``++key``)
        rows[key] = {
            "value": value if eq else None,
            "type": "str" if eq else "",
            "description": "Hydra override",
        }
    rows[ALLOW_EDIT] = {"value": False, "type": "bool", "description": ALLOW_EDIT_HELP}
    return rows


def stored_overrides(hydra: Any, stored: dict[str, dict[str, Any]]) -> list[str]:
    """The stored rows as Hydra overrides."""
    out: list[str] = []
    for key, param in stored.items():
        if key == ALLOW_EDIT or not key:
            continue
        value = cast(param.get("value"), param.get("type", ""))
        if key.startswith("~"):
            out.append(key if value in (None, "") else f"{key}={_text(value)}")
        elif _is_group(hydra, key.lstrip("+")):
            out.append(f"{key}={_text(value)}")
        else:
            out.append(f"++{key.lstrip('+')}={_text(value)}")
    return out


def _is_group(hydra: Any, key: str) -> bool:
    try:
        return bool(hydra.config_loader.repository.group_exists(key))
    except Exception:
        return False


def _text(value: Any) -> str:
    """A stored value in Hydra's override grammar (text is taken as the user wrote it)."""
    if isinstance(value, str):
        return value
    return _element(value)


def _element(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_element(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_element(v)}" for k, v in value.items()) + "}"
    return repr(value)
