"""Facts about the machine and the environment, shared by the SDK's capture and the agent.

One module per idea, each cheap to import (psutil, pynvml and git are reached only
inside the functions that need them):

* :mod:`corral.system.machine`: what the machine is (OS, CPU, memory, Python, GPUs);
* :mod:`corral.system.counters`: cumulative CPU, disk and network counters, and the
  rates between two readings;
* :mod:`corral.system.gpu`: NVML (``pynvml``) loading and per-GPU readings;
* :mod:`corral.system.git`: the git environment and credential-free URLs;
* :mod:`corral.system.packages`: the installed distributions, ``pip freeze`` style.

Nothing here imports the SDK, the client or the server: ``corral.sdk.capture`` and
``corral.agent`` both build on it.
"""
