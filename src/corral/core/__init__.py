"""Pure logic with no I/O: task state machine, downsampling maths."""
