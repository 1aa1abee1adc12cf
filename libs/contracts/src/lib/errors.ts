/** A payload that does not match its event type's schema. Rejected at append; dead-lettered at consume. */
export class InvalidEventPayloadError extends Error {
  constructor(
    readonly eventType: string,
    readonly schemaVersion: number,
    readonly issues: ReadonlyArray<{ path: string; message: string }>,
  ) {
    super(`Invalid ${eventType} v${schemaVersion} payload: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'InvalidEventPayloadError';
  }
}

export class UnknownEventTypeError extends Error {
  constructor(readonly eventType: string) {
    super(`Unknown event type "${eventType}": it is not in the contracts catalogue`);
    this.name = 'UnknownEventTypeError';
  }
}

/** An event written with a schema version newer than this process knows: deploy the newer contracts. */
export class UnsupportedSchemaVersionError extends Error {
  constructor(
    readonly eventType: string,
    readonly schemaVersion: number,
    readonly currentVersion: number,
  ) {
    super(`${eventType} has schema version ${schemaVersion}, newer than the ${currentVersion} this build knows`);
    this.name = 'UnsupportedSchemaVersionError';
  }
}
