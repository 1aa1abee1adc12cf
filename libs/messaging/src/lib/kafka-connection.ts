import type { KafkaConfig, SASLOptions } from 'kafkajs';

/** The settings' [kafka] keys that say how to reach the brokers. */
export interface KafkaConnectionSettings {
  brokers: string[];
  ssl: boolean;
  sasl_mechanism: '' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
  sasl_username: string;
  sasl_password: string;
}

/**
 * How every Kafka client of the project reaches the brokers: their addresses, TLS (with the
 * system's trusted CAs) and SASL as the settings say. One place, so the services, the relay and
 * the CLI cannot disagree about it.
 */
export function kafkaConnection(settings: KafkaConnectionSettings): Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'> {
  const sasl: SASLOptions | undefined = settings.sasl_mechanism === '' ? undefined : { mechanism: settings.sasl_mechanism, username: settings.sasl_username, password: settings.sasl_password };
  return { brokers: settings.brokers, ...(settings.ssl ? { ssl: true } : {}), ...(sasl ? { sasl } : {}) };
}
