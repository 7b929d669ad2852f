// The REST client: every request is same-origin with the session cookie and the header
// `X-Requested-With: faultline` (the server refuses cookie-authenticated changes without it).
// Shapes follow crates/api/src/dto.rs and docs/api.md.

export interface Contributor { channel: string; value: number }
export interface Score {
  ts: string; ts_ns: number; t2: number; t2_limit: number | null; spe: number;
  spe_limit: number | null; alarm: boolean; imputed: number; top: Contributor[];
}
export interface ScoreEvent extends Score { asset: string }
export interface Channel { name: string; unit: string | null; low: number | null; high: number | null }
export interface Asset {
  name: string; site: string; state: string; channels: Channel[];
  model: { version: number; kind: string } | null; last_score: Score | null; open_alarms: number;
  /** Model channels with no measured value for longer than their limit (docs/alarms.md). */
  silent_channels?: string[];
  /** Seconds since the server last journaled a sample of the asset. */
  seconds_since_last_sample?: number;
}
export interface FaultClass { label: string; confidence: number }
export interface Alarm {
  id: number; asset: string; state: string; priority: string; raised_at: string;
  raised_at_ns: number; cleared_at: string | null; cleared_at_ns: number | null; peak: number;
  contributors: Contributor[]; fault_class: FaultClass | null;
  shelved_until?: string | null; shelved_until_ns?: number | null;
  /** `process` (the statistics) or `silence` (its contributors are channels that stopped delivering). */
  kind?: string;
}
export interface AlarmChange { action: string; from: string; to: string; alarm: Alarm }
export interface Sample { seq: number; ts: string; ts_ns: number; values: Record<string, number> }
export interface Signature {
  signer?: string; username?: string; user?: string; name?: string;
  at?: string; signed_at?: string; signed_at_ns?: number; time?: string; meaning?: string;
}
export interface Model {
  asset: string; version: number; kind: string; sha256: string; size: number;
  created_at: string; created_at_ns: number; active: boolean;
  signature?: Signature | null; training?: Record<string, unknown> | null;
  summary?: Record<string, unknown> | null;
  [extra: string]: unknown;
}
export interface AuditRecord {
  id: number; at: string; at_ns: number; actor: string; action: string; target: string;
  old_value: string | null; new_value: string | null; reason: string | null;
  signature?: Signature | null;
}
export interface AuditVerify { ok: boolean; records: number; first_bad: number | null; detail: string | null }
export interface Me { username: string; role: string; permissions: string[] }
export interface UserInfo { username: string; role: string; disabled: boolean; created_at: string; created_at_ns: number }
export interface TokenInfo {
  id: number; username: string; role: string; label: string; created_at: string;
  expires_at: string | null; revoked: boolean; last_used_at: string | null;
}

/** A failed request: the HTTP status and the server's `{error, detail}`. */
export class HttpError extends Error {
  constructor(
    public status: number,
    public code: string,
    public detail: string,
    public retryAfter: number | null = null,
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

/** Called on a 401 from any request but login: the session has ended. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

/** Routes whose 401 means "the password in the body is wrong", not "the session ended". */
const PASSWORD_IN_BODY = /^\/api\/v1\/(login|me\/password|models\/.+\/activate)$/;

export async function request<T>(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  raw?: Blob,
): Promise<T> {
  const headers: Record<string, string> = { 'X-Requested-With': 'faultline', Accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (raw) {
    payload = raw;
    headers['Content-Type'] = 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new HttpError(0, 'network', String(e));
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const body = (json ?? {}) as { error?: string; detail?: string };
    const retry = Number(response.headers.get('Retry-After'));
    // A 401 on a route with a password in its body is that password being wrong.
    const wrongPassword = response.status === 401 && PASSWORD_IN_BODY.test(path);
    const error = new HttpError(
      response.status,
      wrongPassword ? 'wrong_password' : body.error ?? 'http',
      body.detail ?? text.slice(0, 200),
      Number.isFinite(retry) && retry > 0 ? retry : null,
    );
    if (response.status === 401 && !PASSWORD_IN_BODY.test(path)) onUnauthorized();
    throw error;
  }
  return json as T;
}

const enc = encodeURIComponent;

export const api = {
  me: () => request<Me>('GET', '/api/v1/me'),
  login: (username: string, password: string) =>
    request<{ username: string; role: string; expires_at: string }>('POST', '/api/v1/login', { username, password }),
  logout: () => request<void>('POST', '/api/v1/logout'),
  changePassword: (current_password: string, new_password: string) =>
    request<void>('POST', '/api/v1/me/password', { current_password, new_password }),
  assets: () => request<Asset[]>('GET', '/api/v1/assets'),
  scores: (asset: string, limit: number) =>
    request<{ asset: string; scores: Score[] }>('GET', `/api/v1/assets/${enc(asset)}/scores?limit=${limit}`),
  history: (asset: string, fromNs: number, toNs: number, limit: number) =>
    request<{ asset: string; samples: Sample[] }>(
      'GET',
      `/api/v1/assets/${enc(asset)}/history?from=${fromNs}&to=${toNs}&limit=${limit}`,
    ),
  alarms: (query: { asset?: string; state?: string; limit?: number }) => {
    const params = new URLSearchParams();
    if (query.asset) params.set('asset', query.asset);
    if (query.state) params.set('state', query.state);
    params.set('limit', String(query.limit ?? 200));
    return request<Alarm[]>('GET', `/api/v1/alarms?${params}`);
  },
  ack: (id: number, comment: string) => request<Alarm>('POST', `/api/v1/alarms/${id}/ack`, { comment }),
  shelve: (id: number, comment: string, expiry: { minutes: number } | { until: string }) =>
    request<Alarm>('POST', `/api/v1/alarms/${id}/shelve`, { comment, ...expiry }),
  unshelve: (id: number, comment: string) => request<Alarm>('POST', `/api/v1/alarms/${id}/unshelve`, { comment }),
  models: () => request<Model[]>('GET', '/api/v1/models'),
  upload: (asset: string, comment: string, file: Blob) =>
    request<Model>('POST', `/api/v1/models?asset=${enc(asset)}&comment=${enc(comment)}`, undefined, file),
  activate: (asset: string, version: number, comment: string, password: string, meaning: string) =>
    request<unknown>('POST', `/api/v1/models/${enc(asset)}/${version}/activate`, {
      comment,
      signature: { password, meaning },
    }),
  refit: (asset: string, from: string, to: string, method: string | undefined, comment: string) =>
    request<{ model: Model; rows: number; incomplete: number; rejected: number }>(
      'POST', `/api/v1/models/${enc(asset)}/refit`, { from, to, comment, ...(method ? { method } : {}) }),
  audit: (limit: number, before?: number) =>
    request<AuditRecord[] | { records?: AuditRecord[]; events?: AuditRecord[] }>(
      'GET',
      `/api/v1/audit?limit=${limit}${before !== undefined ? `&before=${before}` : ''}`,
    ),
  auditVerify: () => request<AuditVerify>('GET', '/api/v1/audit/verify'),
  users: () => request<UserInfo[]>('GET', '/api/v1/users'),
  tokens: () => request<TokenInfo[]>('GET', '/api/v1/tokens'),
  createUser: (username: string, role: string, password: string) =>
    request<UserInfo>('POST', '/api/v1/users', { username, role, password }),
  setRole: (username: string, role: string, comment: string) =>
    request<UserInfo>('POST', `/api/v1/users/${enc(username)}/role`, { role, comment }),
  disableUser: (username: string, comment: string) =>
    request<UserInfo>('POST', `/api/v1/users/${enc(username)}/disable`, { comment }),
  resetPassword: (username: string, password: string, comment: string) =>
    request<UserInfo>('POST', `/api/v1/users/${enc(username)}/password`, { password, comment }),
  createToken: (body: { label: string; username?: string; role?: string; expires_days?: number }) =>
    request<TokenInfo & { token: string }>('POST', '/api/v1/tokens', body),
  revokeToken: (id: number, comment: string) =>
    request<TokenInfo>('POST', `/api/v1/tokens/${id}/revoke`, { comment }),
};
