import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

export interface FieldError {
  field: string;
  errors: string[];
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, errors: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** The 400 of every input check: the API's error body naming each failing field and why. */
export function invalidFields(details: FieldError[]): BadRequestException {
  return new BadRequestException({ message: `Validation failed: ${details.map((d) => `${d.field}: ${d.errors.join(', ')}`).join('; ')}`, details });
}

/** class-validator at every edge: unknown fields rejected, each failing field named with its reasons. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => invalidFields(flatten(errors)),
  });
}
