export { freePort, ScratchKafkaBroker } from './lib/scratch-kafka-broker';
export { startServiceProcess, type ServiceProcess } from './lib/service-process';
export { adminQuery, createTestDatabase, type TestDatabase } from './lib/test-database';
export { testSettings, workspaceRoot } from './lib/test-settings';
export { uniqueName } from './lib/unique-name';
export { TcpProxy } from './lib/tcp-proxy';
export { waitFor, type WaitForOptions } from './lib/wait-for';
export { parsePrometheus, sampleValue, type MetricFamily } from './lib/prometheus';
export { SAGA_WAIT, startSagaStack, type App, type HttpAnswer, type InspectedEvent, type SagaStack, type SagaStackOptions } from './lib/saga-stack';
