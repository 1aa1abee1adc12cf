/** A refusal or failure of the gateway, with its error body's message (ARCHITECTURE §7 errors). */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

/** The gateway's admin endpoints, as the `causeway` CLI calls them. */
export class AdminApi {
  constructor(
    private readonly gatewayUrl: string,
    private readonly adminToken: string,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string): Promise<T> {
    return this.call<T>('POST', path);
  }

  private async call<T>(method: string, path: string): Promise<T> {
    const url = `${this.gatewayUrl.replace(/\/$/, '')}/api${path}`;
    let response: Response;
    try {
      response = await fetch(url, { method, headers: { authorization: `Bearer ${this.adminToken}` } });
    } catch (error) {
      throw new AdminApiError(0, `the gateway at ${this.gatewayUrl} does not answer (${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}); is the stack up (npm start)?`);
    }
    const text = await response.text();
    const body = parse(text);
    if (!response.ok) {
      const message = typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : text;
      const hint = response.status === 401 ? ' (set ADMIN_TOKEN to the gateway’s http.admin_token)' : '';
      throw new AdminApiError(response.status, `${method} ${url}: ${response.status} ${message}${hint}`);
    }
    return body as T;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
