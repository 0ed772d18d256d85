"""Pure logic with no I/O: the task vocabulary (statuses, types, transitions, allowed
actions), downsampling maths."""
