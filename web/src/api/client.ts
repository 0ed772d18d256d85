// The hub's REST API from the browser: the session cookie authenticates, and every
// change sends the CSRF token the login returned. Errors arrive as problem+json
// (RFC 9457) and become ApiError with the hub's own message.

export const API = "/api/v1";

export interface FieldError {
  loc: (string | number)[];
  msg: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  /** seconds to wait before asking again (``Retry-After`` of a 429), or null */
  readonly retryAfter: number | null;

  constructor(status: number, title: string, detail: string, errors: FieldError[] = [], retryAfter: number | null = null) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
    this.retryAfter = retryAfter;
  }
}

let csrfToken: string | null = null;
const unauthorizedListeners = new Set<() => void>();

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the hub answers 401 (the session expired): the app shows the login. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export type Query = Record<string, string | number | boolean | null | undefined | (string | number)[]>;

export function queryString(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => params.append(key, String(v)));
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : "";
}

export interface RequestOptions {
  method?: string;
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? (options.body === undefined ? "GET" : "POST");
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(API + path + queryString(options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "Hub unreachable", "The hub did not answer. Check that it is running, then retry.");
  }
  if (response.status === 401 && path !== "/auth/login") {
    unauthorizedListeners.forEach((l) => l());
  }
  if (!response.ok) throw await toError(response);
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("json")) return (await response.json()) as T;
  return (await response.text()) as unknown as T;
}

/** ``Retry-After`` in seconds (a number or an HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const when = Date.parse(text);
  if (Number.isNaN(when)) return null;
  return Math.max(0, Math.ceil((when - now) / 1000));
}

async function toError(response: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
  try {
    const problem = await response.json();
    return new ApiError(
      response.status,
      problem.title ?? response.statusText,
      problem.detail ?? "",
      problem.errors ?? [],
      retryAfter,
    );
  } catch {
    return new ApiError(response.status, response.statusText, `The hub answered HTTP ${response.status}.`, [], retryAfter);
  }
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal) =>
  request<T>(path, { query, signal });
export const post = <T>(path: string, body: unknown = {}, query?: Query) =>
  request<T>(path, { method: "POST", body, query });
export const patch = <T>(path: string, body: unknown) => request<T>(path, { method: "PATCH", body });
export const put = <T>(path: string, body: unknown = {}) => request<T>(path, { method: "PUT", body });
export const del = <T>(path: string, query?: Query) => request<T>(path, { method: "DELETE", query });

/** A URL the browser downloads directly (the cookie authenticates it). */
export const downloadUrl = (path: string, query?: Query) => API + path + queryString(query);
