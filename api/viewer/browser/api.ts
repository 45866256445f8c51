/**
 * The token and the API client. A #token=… fragment is moved to sessionStorage at once; the
 * token is sent only as an Authorization header to this origin.
 */

const TOKEN_KEY = "affiant.apiToken";

/** A non-2xx answer: the API's `{error: {name, message}}` when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    name: string,
    message: string,
  ) {
    super(message);
    this.name = name;
  }
}

/** A #token=… fragment is moved to sessionStorage and wiped from the address bar at once. */
export function takeTokenFromFragment(): void {
  const hash = window.location.hash || "";
  const m = /(?:^#|[&#])token=([^&]*)/.exec(hash);
  if (!m) return;
  try {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1] ?? ""));
  } catch {
    /* storage off: the form again */
  }
  // The token parameter goes with its separator: `#/executions/<id>&token=…` leaves `#/executions/<id>`.
  const rest = hash.replace(/&token=[^&]*/, "").replace(/^#token=[^&]*&?/, "#");
  history.replaceState(null, "", window.location.pathname + (rest === "#" ? "#/" : rest));
}

export function getToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  } catch {
    return "";
  }
}

export function setToken(t: string): void {
  try {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* ignore */
  }
}

interface ErrorBody {
  error?: { name?: unknown; message?: unknown };
}

export async function apiFetch(path: string): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { headers, cache: "no-store" });
  if (res.ok) return res;
  const body = (await res.json().catch(() => ({}))) as ErrorBody | null;
  const e = body?.error ?? {};
  throw new ApiError(
    res.status,
    typeof e.name === "string" && e.name ? e.name : `HTTP ${res.status}`,
    typeof e.message === "string" && e.message ? e.message : res.statusText,
  );
}

/** A JSON POST to the API; a non-2xx answer is an ApiError, as apiFetch's. */
export async function apiPost(path: string, body: unknown): Promise<unknown> {
  const headers: Record<string, string> = { accept: "application/json", "content-type": "application/json" };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { method: "POST", headers, body: JSON.stringify(body), cache: "no-store" });
  const json = (await res.json().catch(() => ({}))) as ErrorBody | null;
  if (res.ok) return json;
  const e = json?.error ?? {};
  throw new ApiError(
    res.status,
    typeof e.name === "string" && e.name ? e.name : `HTTP ${res.status}`,
    typeof e.message === "string" && e.message ? e.message : res.statusText,
  );
}

/** The API's JSON, trusted to have the shape of api/viewer/browser/types.ts. */
export async function apiJson<T>(path: string): Promise<T> {
  return (await (await apiFetch(path)).json()) as T;
}
