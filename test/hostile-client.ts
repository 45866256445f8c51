/**
 * A hostile client for the hostile-input suites: raw HTTP (any Host header, bodies streamed
 * by the megabyte without holding them), and the server's RSS read from /proc while it
 * happens.
 */

import { readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

/** One request with exactly these headers (Host included), body as given. */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Uint8Array,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method, path, headers, setHost: !Object.keys(headers).some((h) => h.toLowerCase() === "host") },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Resident set size of a process, in MB (Linux). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Samples a process's RSS every 50 ms until stopped; answers the peak. */
export function watchRss(pid: number): { stop: () => number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, rssMb(pid));
    },
  };
}

export interface StreamResult {
  /** The status line the server answered, if it answered. */
  statusLine: string;
  /** What came back, headers and body. */
  response: string;
  /** Body bytes written before the server answered (or closed). */
  sentBeforeAnswer: number;
  sent: number;
}

/**
 * Streams `totalBytes` of spaces as the body of one request over a raw socket, a
 * megabyte at a time with back-pressure, so the test holds one megabyte however large the
 * body. Stops when the server answers or closes. `chunked` sends no Content-Length;
 * `pauseMs` waits between megabytes.
 */
export function streamBody(
  port: number,
  head: { method: string; path: string; headers: Record<string, string> },
  totalBytes: number,
  chunked = true,
  pauseMs = 0,
): Promise<StreamResult> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const mb = Buffer.alloc(1 << 20, 0x20);
    const frame = chunked ? Buffer.concat([Buffer.from(`${mb.length.toString(16)}\r\n`), mb, Buffer.from("\r\n")]) : mb;
    let response = "";
    let sent = 0;
    let sentBeforeAnswer = -1;
    let done = false;
    socket.on("data", (d) => {
      if (sentBeforeAnswer < 0) sentBeforeAnswer = sent;
      response += d;
    });
    // EPIPE / ECONNRESET: the server hung up on the rest of the body, as it should.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      done = true;
      resolve({
        statusLine: response.split("\r\n")[0] ?? "",
        response,
        sentBeforeAnswer: sentBeforeAnswer < 0 ? sent : sentBeforeAnswer,
        sent,
      });
    });
    const lines = [
      `${head.method} ${head.path} HTTP/1.1`,
      ...Object.entries(head.headers).map(([k, v]) => `${k}: ${v}`),
      chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${totalBytes}`,
    ];
    socket.write(`${lines.join("\r\n")}\r\n\r\n`);
    const pump = () => {
      while (!done && sentBeforeAnswer < 0 && sent < totalBytes) {
        sent += mb.length;
        const more = socket.write(frame);
        if (pauseMs > 0) return void (more ? setTimeout(pump, pauseMs) : socket.once("drain", () => setTimeout(pump, pauseMs)));
        if (!more) return void socket.once("drain", pump);
      }
      if (!done) socket.end(chunked && sent >= totalBytes ? "0\r\n\r\n" : "");
    };
    pump();
  });
}
