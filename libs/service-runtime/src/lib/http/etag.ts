import { BadRequestException } from '@nestjs/common';

/** ETag of a resource = its aggregate version. */
export function etag(version: number): string {
  return `"${version}"`;
}

/** If-Match → the version the client expects, or undefined when absent. `*` means any version. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!match) throw new BadRequestException({ message: 'If-Match: expected an ETag such as "3"', details: [{ field: 'If-Match', errors: ['must be an ETag returned by this API'] }] });
  return Number(match[1]);
}
