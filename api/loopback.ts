/** Whether an address or name stays on this machine. */
import { isIP } from "node:net";

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}
