/**
 * Span and metric attribute names. Spans follow OpenTelemetry's messaging
 * semantic conventions (messaging.*), with `messaging.system` spelt as
 * Graphile Worker RS spells it so dashboards cover both; what the conventions
 * have no name for is under `messaging.graphile_worker.*`.
 */
export const MESSAGING_SYSTEM = "graphile-worker";

export const ATTR_MESSAGING_SYSTEM = "messaging.system";
export const ATTR_OPERATION_TYPE = "messaging.operation.type";
export const ATTR_OPERATION_NAME = "messaging.operation.name";
/** The task identifier (what routes a job to its handler), as Graphile Worker RS records it. */
export const ATTR_DESTINATION_NAME = "messaging.destination.name";
export const ATTR_MESSAGE_ID = "messaging.message.id";
export const ATTR_BATCH_COUNT = "messaging.batch.message_count";
/** The worker id (`locked_by`). */
export const ATTR_CLIENT_ID = "messaging.client.id";
export const ATTR_QUEUE_NAME = "messaging.graphile_worker.queue_name";
export const ATTR_ATTEMPT = "messaging.graphile_worker.attempt";
export const ATTR_MAX_ATTEMPTS = "messaging.graphile_worker.max_attempts";
export const ATTR_PRIORITY = "messaging.graphile_worker.priority";
export const ATTR_WILL_RETRY = "messaging.graphile_worker.will_retry";
export const ATTR_ERROR_TYPE = "error.type";

/** Metric attributes (short: they become Prometheus labels). */
export const METRIC_ATTR_TASK = "task";
export const METRIC_ATTR_WORKER = "worker_id";

/** Operation names (those of Graphile Worker RS). */
export const OPERATION_ADD_JOB = "add_job";
export const OPERATION_ADD_JOBS = "add_jobs";
export const OPERATION_RUN_JOB = "run_job";
