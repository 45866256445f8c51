/**
 * The declaration's story: the extracted facts in the order things happened, grouped into
 * incidents (a day) and periods (a month, a year, a span), one paragraph each, each paragraph
 * carrying the legal elements its facts support. An attorney reads a declaration as one
 * chronological account, not as a list of legal elements; the elements stay attached to the
 * paragraphs so the review and the coverage judge can still see what each paragraph proves.
 *
 * Dates are ISO as ExtractFacts keeps them: a day (YYYY-MM-DD), a month (YYYY-MM), a year
 * (YYYY), or a period start/end (2018/2023). An undated fact is placed by its source's order:
 * with the nearest dated fact before it in the same document (a narrative document runs in
 * time order), else the nearest one after it, else in a closing group of undated facts; a
 * paragraph holding such facts says how many, so the attorney checks the placement.
 */

/** A fact as the story reads it (ExtractFacts' fact). */
export interface StoryFact {
  element: string;
  statement: string;
  /** The chunk id it cites: `[DOCUMENT_n]#…`. */
  source: string;
  /** ISO date or period, or "unknown". */
  date: string;
}

/** One paragraph of the story: an incident or a period, in chronological order. */
export interface StoryParagraph {
  /** Stable key of the paragraph across rounds (locks, notes, translation): `story-<n>`. */
  key: string;
  /** The ISO date or period it tells ("2021-03-14", "2019-06", "2018/2023"), or "undated". */
  period: string;
  /** Its facts, dated ones by date, each undated one where its source placed it. */
  facts: StoryFact[];
  /** The elements its facts support, in the checklist's order. */
  supports: string[];
  /** How many of its facts carry no date of their own and were placed by their source's order. */
  undatedFacts: number;
}

/** The period key every undated group carries. */
export const undatedPeriod = "undated";

const dayPattern = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/;

/** An ISO date (YYYY, YYYY-MM or YYYY-MM-DD) or a period start/end of two of them, trimmed; anything else is "unknown". */
export function isoDateOrPeriod(text: string): string {
  const t = text.trim();
  if (dayPattern.test(t)) return t;
  const [start, end, ...rest] = t.split("/");
  if (rest.length === 0 && start && end && dayPattern.test(start) && dayPattern.test(end) && start <= end) return `${start}/${end}`;
  return "unknown";
}

const isDated = (date: string) => date !== "unknown" && date !== undatedPeriod && date !== "";
const startOf = (period: string) => period.split("/")[0]!;
const endOf = (period: string) => period.split("/").at(-1)!;

/** Chronological order of two periods: by start, the coarser first at the same start (a year before its days), then by end. */
export function comparePeriods(a: string, b: string): number {
  const sa = startOf(a);
  const sb = startOf(b);
  const shared = Math.min(sa.length, sb.length);
  if (sa.slice(0, shared) !== sb.slice(0, shared)) return sa < sb ? -1 : 1;
  if (sa.length !== sb.length) return sa.length - sb.length;
  return endOf(a) < endOf(b) ? -1 : endOf(a) > endOf(b) ? 1 : 0;
}

/** A date at a granularity: as given (0), by month (7) or by year (4); a period keeps its span. */
const coarsen = (date: string, to: 0 | 4 | 7) => (to === 0 || date.includes("/") ? date : date.slice(0, to));

/** The document a chunk id belongs to (`[DOCUMENT_2]#p1-3` → `[DOCUMENT_2]`). */
const documentOf = (source: string) => source.split("#")[0]!;

export interface StoryOptions {
  /** The case's element ids in the checklist's order; facts naming another element are left out. */
  elements: string[];
  /** A chunk's place in the case (the index's order); unknown ids sort last. */
  sourceOrder: (chunkId: string) => number;
  /** Most paragraphs the story may take (each is a model call; at least 2); groups are merged to fit. Default: 8. */
  maxParagraphs?: number;
}

/**
 * The facts as a story: dated facts grouped by their date (coarsened to months, then years, and
 * then neighbours merged while the groups outnumber `maxParagraphs`), each undated fact joined to
 * the group of the dated fact its source places it beside, the rest in one undated group last.
 */
export function planStory(facts: StoryFact[], options: StoryOptions): StoryParagraph[] {
  const max = Math.max(2, options.maxParagraphs ?? 8);
  const known = facts.filter((f) => options.elements.includes(f.element));
  const dated = known.map((f, i) => ({ f, i })).filter((x) => isDated(x.f.date));
  const undated = known.map((f, i) => ({ f, i })).filter((x) => !isDated(x.f.date));
  // Each undated fact's anchor: the dated fact its own document places nearest before it, else after it.
  const anchorOf = new Map<number, number>();
  for (const u of undated) {
    const here = options.sourceOrder(u.f.source);
    const sameDocument = dated.filter((d) => documentOf(d.f.source) === documentOf(u.f.source));
    const before = sameDocument.filter((d) => options.sourceOrder(d.f.source) <= here);
    const after = sameDocument.filter((d) => options.sourceOrder(d.f.source) > here);
    const pick = before.length
      ? before.reduce((m, d) => (options.sourceOrder(d.f.source) >= options.sourceOrder(m.f.source) ? d : m))
      : after.length
        ? after.reduce((m, d) => (options.sourceOrder(d.f.source) < options.sourceOrder(m.f.source) ? d : m))
        : undefined;
    if (pick) anchorOf.set(u.i, pick.i);
  }
  const loose = undated.filter((u) => !anchorOf.has(u.i));
  const room = max - (loose.length ? 1 : 0);
  // Group the dated facts, coarsening until they fit; then merge neighbours.
  let groups: Array<{ period: string; members: number[] }> = [];
  for (const to of [0, 7, 4] as const) {
    const byKey = new Map<string, number[]>();
    for (const d of dated) {
      const key = coarsen(d.f.date, to);
      byKey.set(key, [...(byKey.get(key) ?? []), d.i]);
    }
    groups = [...byKey]
      .map(([period, members]) => ({ period, members }))
      .sort((a, b) => comparePeriods(a.period, b.period) || a.members[0]! - b.members[0]!);
    if (groups.length <= room) break;
  }
  groups = mergeNeighbours(groups, room);
  const dateOf = (i: number) => known[i]!.date;
  const paragraphs = groups.map((g) => {
    const own = [...g.members].sort((a, b) => comparePeriods(dateOf(a), dateOf(b)) || a - b);
    // Each undated fact right after the dated fact it is anchored to, in its source's order.
    const ordered = own.flatMap((d) => [
      d,
      ...undated
        .filter((u) => anchorOf.get(u.i) === d)
        .sort((a, b) => options.sourceOrder(a.f.source) - options.sourceOrder(b.f.source) || a.i - b.i)
        .map((u) => u.i),
    ]);
    return { period: g.period, members: ordered, undatedFacts: ordered.length - own.length };
  });
  if (loose.length)
    paragraphs.push({
      period: undatedPeriod,
      members: [...loose].sort((a, b) => options.sourceOrder(a.f.source) - options.sourceOrder(b.f.source) || a.i - b.i).map((u) => u.i),
      undatedFacts: loose.length,
    });
  return paragraphs.map((p, n) => {
    const storyFacts = p.members.map((i) => known[i]!);
    return {
      key: `story-${n + 1}`,
      period: p.period,
      facts: storyFacts,
      supports: options.elements.filter((e) => storyFacts.some((f) => f.element === e)),
      undatedFacts: p.undatedFacts,
    };
  });
}

/** The later of two ends: a year ends after its months and days ("2021" after "2021-03"). */
function laterEnd(a: string, b: string): string {
  if (a.startsWith(b)) return b;
  if (b.startsWith(a)) return a;
  return a > b ? a : b;
}

/** Merges neighbouring groups, evenly, into at most `max` (the period then spans from the first start to the last end). */
function mergeNeighbours(groups: Array<{ period: string; members: number[] }>, max: number) {
  if (groups.length <= max) return groups;
  const out: Array<{ period: string; members: number[] }> = [];
  for (let n = 0; n < max; n++) {
    const part = groups.slice(Math.floor((n * groups.length) / max), Math.floor(((n + 1) * groups.length) / max));
    const start = startOf(part[0]!.period);
    const end = part.map((g) => endOf(g.period)).reduce(laterEnd);
    out.push({ period: start === end ? start : `${start}/${end}`, members: part.flatMap((g) => g.members) });
  }
  return out;
}

const monthsEn = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const monthsEs = [
  "enero",
  "febrero",
  "marzo",
  "abril",
  "mayo",
  "junio",
  "julio",
  "agosto",
  "septiembre",
  "octubre",
  "noviembre",
  "diciembre",
];

/** One ISO date in words ("March 14, 2021"; "14 de marzo de 2021"). */
function dateWords(date: string, language: "en" | "es"): string {
  const [y, m, d] = date.split("-");
  if (!m) return y!;
  const month = (language === "es" ? monthsEs : monthsEn)[Number(m) - 1]!;
  if (language === "es") return d ? `${Number(d)} de ${month} de ${y}` : `${month} de ${y}`;
  return d ? `${month} ${Number(d)}, ${y}` : `${month} ${y}`;
}

/** A paragraph's period as its heading reads it: "March 14, 2021", "2018 to 2023", "Undated". */
export function periodLabel(period: string, language: "en" | "es" = "en"): string {
  if (!isDated(period)) return language === "es" ? "Sin fecha" : "Undated";
  const [start, end] = period.split("/");
  if (!end) return dateWords(start!, language);
  return language === "es"
    ? `De ${dateWords(start!, "es")} a ${dateWords(end, "es")}`
    : `${dateWords(start!, "en")} to ${dateWords(end, "en")}`;
}
