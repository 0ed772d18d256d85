// Workers on the wire (src/corral/schemas/queues.py: WorkerOut, WorkerTask, WorkerStatOut).

export interface WorkerTask {
  id: string;
  name: string;
  status: string;
  queue_id: string | null;
  started_at: string | null;
  /** seconds since the task started (while it runs) */
  run_time: number | null;
  last_iteration: number | null;
}

export interface GpuStat {
  index: number;
  name?: string;
  utilization?: number | null;
  memory_used?: number | null;
  memory_total?: number | null;
  temperature?: number | null;
}

export interface WorkerStat {
  time: string;
  cpu_percent: number | null;
  memory_used: number | null;
  memory_total: number | null;
  gpus: GpuStat[];
  /** bytes per second */
  net_rx: number | null;
  net_tx: number | null;
}

export interface Worker {
  id: string;
  user_id: string | null;
  queues: string[];
  tags: string[];
  ip: string | null;
  registered_at: string;
  last_heartbeat: string;
  gone_at: string | null;
  machine: Record<string, unknown>;
  tasks: WorkerTask[];
  last_stats: WorkerStat | null;
}
