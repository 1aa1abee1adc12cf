-- Run by the postgres image on first start (docker-compose.yml mounts it into
-- /docker-entrypoint-initdb.d). infra/postgres.mjs creates the same schemas on a local server.
-- One schema per service: each owns its events, outbox, inbox and read models.
CREATE SCHEMA IF NOT EXISTS user_service;
CREATE SCHEMA IF NOT EXISTS order_service;
CREATE SCHEMA IF NOT EXISTS payment_service;
CREATE SCHEMA IF NOT EXISTS notification_service;
