// Wire types only the projects page uses.
import type { Project } from "../../api/types";

/** ``GET /projects``: counts and activity cover the project's subprojects too. */
export interface ProjectRow extends Project {
  /** the newest last_update of the project, its subprojects and their tasks */
  last_activity: string | null;
}
