/** One event of the log as the durability checks read it, from SQLite or PostgreSQL. */
export interface EventRow {
  readonly instanceId: string;
  readonly sequence: number;
  readonly type: string;
  readonly payload: string;
}
