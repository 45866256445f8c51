/**
 * The SQS side of the GPU pool stand-in: the models' ready queues the acquire Lambda writes and
 * the warm workers long-poll, with AWS's wire shapes and what SQS does that a kind stand-in
 * would not: a message is deleted once the queue's retention period has passed (received or
 * not), and one received and not deleted comes back after the visibility timeout.
 */
import { createHash, randomUUID } from "node:crypto";
import type { PoolBehaviour } from "./gpu-pool.ts";

interface Message {
  id: string;
  body: string;
  receipt?: string;
  sentAt: number;
  visibleAt: number;
}

export class ReadyQueues {
  private readonly queues = new Map<string, Message[]>();

  constructor(
    private readonly now: () => number,
    private readonly behaviour: Pick<PoolBehaviour, "retentionSeconds" | "visibilitySeconds">,
  ) {}

  /** One SQS call (AWS JSON 1.0, AmazonSQS.*); the queue is the QueueUrl's path. Answers when a long poll ends. */
  async call(
    operation: string,
    body: Record<string, any>,
    closed: () => boolean,
  ): Promise<{ status: number; payload: Record<string, unknown> }> {
    const queue = this.queue(String(body.QueueUrl ?? ""));
    // As SQS: a message past the queue's retention period is deleted, received or not.
    const retentionMs = (this.behaviour.retentionSeconds ?? 345_600) * 1000;
    for (let i = queue.length - 1; i >= 0; i--) if (this.now() - queue[i]!.sentAt >= retentionMs) queue.splice(i, 1);
    if (operation === "SendMessage") {
      const message: Message = { id: randomUUID(), body: String(body.MessageBody), sentAt: this.now(), visibleAt: 0 };
      queue.push(message);
      return { status: 200, payload: { MessageId: message.id, MD5OfMessageBody: md5(message.body) } };
    }
    if (operation === "GetQueueAttributes") {
      return {
        status: 200,
        payload: { Attributes: { ApproximateNumberOfMessages: String(queue.filter((m) => m.visibleAt <= this.now()).length) } },
      };
    }
    if (operation === "ReceiveMessage") {
      const until = Date.now() + Math.min(20, Number(body.WaitTimeSeconds ?? 0)) * 1000;
      for (;;) {
        const m = queue.find((x) => x.visibleAt <= this.now() && this.now() - x.sentAt < retentionMs);
        if (m) {
          m.receipt = randomUUID();
          m.visibleAt = this.now() + Number(body.VisibilityTimeout ?? this.behaviour.visibilitySeconds ?? 30) * 1000;
          return {
            status: 200,
            payload: { Messages: [{ MessageId: m.id, ReceiptHandle: m.receipt, Body: m.body, MD5OfBody: md5(m.body) }] },
          };
        }
        if (Date.now() >= until || closed()) return { status: 200, payload: {} };
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (operation === "DeleteMessage") {
      const i = queue.findIndex((m) => m.receipt === body.ReceiptHandle);
      if (i >= 0) queue.splice(i, 1);
      return { status: 200, payload: {} };
    }
    return { status: 400, payload: { __type: "UnsupportedOperation", message: `${operation} is not in the SQS stand-in` } };
  }

  private queue(url: string): Message[] {
    const key = new URL(url, "http://x").pathname;
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = []));
    return q;
  }
}

const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");
