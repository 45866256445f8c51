/** The viewer's stylesheet: system fonts only (offline), one accent, status colours. */
export const viewerCss = String.raw`
:root {
  --bg: #f5f6f8; --card: #fff; --ink: #1c2430; --muted: #667085; --line: #e3e6eb; --accent: #2f5bd3;
  --ok: #1f8a4c; --ok-bg: #e6f4ec; --run: #2f6fdb; --run-bg: #e7effc; --fail: #c4352b; --fail-bg: #fbeae8;
  --caught: #b86e00; --caught-bg: #fdf1dc; --idle: #98a2b3; --idle-bg: #f2f4f7;
  --seg-queue: #b8c2d1; --seg-load: #8e6cd8; --seg-prompt: #e39a2d; --seg-gen: #2f5bd3; --seg-other: #e4e8ee;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .exec-id { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
h1 { font-size: 20px; margin: 0; font-weight: 650; letter-spacing: -0.01em; }
h2 { font-size: 15px; margin: 0; font-weight: 650; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
[hidden] { display: none !important; }

.topbar { display: flex; align-items: center; gap: 18px; padding: 0 24px; height: 52px; background: #141b2d; color: #dfe5f1; }
.brand { color: #fff; font-weight: 700; font-size: 16px; letter-spacing: 0.02em; }
.brand span { color: #8da2d6; font-weight: 500; margin-left: 4px; }
#crumbs { flex: 1; display: flex; gap: 8px; align-items: center; font-size: 13px; min-width: 0; }
#crumbs a { color: #b9c6e6; }
#crumbs span { color: #dfe5f1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#crumbs .sep { color: #5b6784; }
.live { font-size: 12px; color: #9fe0b8; display: inline-flex; align-items: center; gap: 6px; }
.live::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: #3ccf7a; animation: pulse 1.2s ease-in-out infinite; }
.link-button { background: none; border: 0; color: #b9c6e6; cursor: pointer; font: inherit; font-size: 13px; }
.link-button:hover { color: #fff; }

main { padding: 20px 24px 40px; max-width: 1480px; margin: 0 auto; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin-bottom: 18px; box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04); }
.card-head { display: flex; align-items: center; justify-content: space-between; gap: 16px; margin-bottom: 14px; flex-wrap: wrap; }
.card-head .exec-id { color: var(--muted); display: block; margin-top: 3px; }

.badge { display: inline-block; padding: 2px 9px; border-radius: 999px; font-size: 11px; font-weight: 650; letter-spacing: 0.04em; background: var(--idle-bg); color: #475467; white-space: nowrap; }
.badge-succeeded { background: var(--ok-bg); color: var(--ok); }
.badge-running { background: var(--run-bg); color: var(--run); }
.badge-failed, .badge-timed-out { background: var(--fail-bg); color: var(--fail); }
.badge-aborted { background: var(--caught-bg); color: var(--caught); }
.counts { list-style: none; display: flex; gap: 14px; margin: 0; padding: 0; font-size: 13px; color: var(--muted); }

.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-size: 11px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); font-weight: 600; padding: 8px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 9px 10px; border-bottom: 1px solid #f0f2f5; vertical-align: middle; white-space: nowrap; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.execution { cursor: pointer; }
tr.execution:hover td, tr.execution:focus td { background: #f7f9fd; }
tr.execution:focus { outline: none; }
.case-link { font-weight: 600; }
.empty { padding: 24px 0; text-align: center; }

.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px 20px; margin: 0; }
.fact dt { font-size: 11px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
.fact dd { margin: 2px 0 0; font-size: 15px; font-weight: 550; font-variant-numeric: tabular-nums; }
.button { background: var(--accent); color: #fff; border: 0; border-radius: 7px; padding: 8px 14px; font: inherit; font-weight: 600; cursor: pointer; }
.button:hover { background: #244aaf; }
.button:disabled { opacity: 0.6; cursor: progress; }
.error-box { background: var(--fail-bg); border: 1px solid #f3c7c2; color: #7a1f17; border-radius: 8px; padding: 12px 14px; margin-top: 14px; }
.error-box p { margin: 4px 0 0; white-space: pre-wrap; word-break: break-word; }
.error-box .button { margin-top: 10px; }

.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 14px; margin: 0; padding: 0; font-size: 12px; color: var(--muted); }
.legend li { display: inline-flex; align-items: center; gap: 6px; }
.swatch { width: 12px; height: 12px; border-radius: 3px; display: inline-block; border: 1.5px solid var(--idle); background: var(--idle-bg); }
.swatch.status-running { border-color: var(--run); background: var(--run-bg); }
.swatch.status-succeeded { border-color: var(--ok); background: var(--ok-bg); }
.swatch.status-caught { border-color: var(--caught); background: var(--caught-bg); }
.swatch.status-failed { border-color: var(--fail); background: var(--fail-bg); }
.swatch.status-aborted { border-color: var(--caught); background: var(--idle-bg); border-style: dashed; }
.line-swatch { width: 22px; border-top: 2px dashed var(--caught); display: inline-block; }
.swatch.seg-queueMs { background: var(--seg-queue); border: 0; }
.swatch.seg-loadMs { background: var(--seg-load); border: 0; }
.swatch.seg-promptMs { background: var(--seg-prompt); border: 0; }
.swatch.seg-genMs { background: var(--seg-gen); border: 0; }
.swatch.seg-other { background: var(--seg-other); border: 0; }

.graph-wrap { overflow-x: auto; background: #fbfcfd; border: 1px solid #eef0f3; border-radius: 8px; display: flex; justify-content: safe center; }
/* Never shrunk to the card's width: a shrunk SVG keeps its height and centres the drawing in a tall blank band; the wrapper scrolls instead. */
.graph { display: block; flex: none; font-family: inherit; }
.graph .box { fill: var(--idle-bg); stroke: var(--idle); stroke-width: 1.5; }
.graph .dot { fill: var(--idle); }
.graph .node-name { font-size: 12px; font-weight: 600; fill: var(--ink); }
.graph .node-sub { font-size: 11px; fill: var(--muted); }
.graph .node-runs { font-size: 11px; font-weight: 700; fill: var(--muted); }
.graph .frame { fill: rgba(47, 91, 211, 0.025); stroke: #c5cedf; stroke-width: 1.5; stroke-dasharray: 5 4; }
.graph .node-choice .box { stroke-dasharray: 3 3; }
.graph .status-not-run .node-name { fill: #667085; }
.graph .status-succeeded .box { fill: var(--ok-bg); stroke: var(--ok); }
.graph .status-succeeded .dot { fill: var(--ok); }
.graph .status-running .box { fill: var(--run-bg); stroke: var(--run); stroke-width: 2; }
.graph .status-running .dot { fill: var(--run); animation: pulse 1.2s ease-in-out infinite; }
.graph .status-failed .box { fill: var(--fail-bg); stroke: var(--fail); stroke-width: 2; }
.graph .status-failed .dot { fill: var(--fail); }
.graph .status-caught .box { fill: var(--caught-bg); stroke: var(--caught); stroke-width: 2; }
.graph .status-caught .dot { fill: var(--caught); }
.graph .status-aborted .box { fill: var(--idle-bg); stroke: var(--caught); stroke-dasharray: 4 3; }
.graph .status-aborted .dot { fill: var(--caught); }
.graph .node-parallel.status-succeeded .frame { stroke: var(--ok); fill: rgba(31, 138, 76, 0.03); }
.graph .node-parallel.status-running .frame { stroke: var(--run); }
.graph .node-parallel.status-failed .frame { stroke: var(--fail); }
.graph .edge path { fill: none; stroke: #b3bccb; stroke-width: 1.5; }
.graph .edge-catch path { stroke: #d9a55a; stroke-dasharray: 5 4; }
.graph .edge-back path { stroke-dasharray: 2 3; }
.graph .edge-taken path { stroke: #475467; stroke-width: 1.8; }
.graph .edge-catch.edge-taken path { stroke: var(--caught); stroke-width: 2; }
.graph .edge-label { font-size: 10.5px; fill: var(--muted); paint-order: stroke; stroke: #fbfcfd; stroke-width: 4px; }
.graph .arrowhead { fill: #b3bccb; }
.graph .arrowhead-catch { fill: #d9a55a; }
.graph .arrowhead-taken { fill: #475467; }

table.runs td.state-name { font-weight: 600; }
table.runs { font-size: 13px; }
table.runs th, table.runs td { padding-left: 7px; padding-right: 7px; }
table.runs td.timing { width: 20%; min-width: 170px; }
.run-start { display: block; font-size: 11px; font-weight: 400; color: var(--muted); }
.badge-caught { background: var(--caught-bg); color: var(--caught); }
.bar { display: flex; height: 12px; border-radius: 3px; overflow: hidden; background: transparent; }
.seg { display: block; height: 100%; flex: none; }
.seg + .seg { border-left: 1px solid #fff; }
.seg-queueMs { background: var(--seg-queue); }
.seg-loadMs { background: var(--seg-load); }
.seg-promptMs { background: var(--seg-prompt); }
.seg-genMs { background: var(--seg-gen); }
.seg-other { background: var(--seg-other); }
.provider { display: inline-block; padding: 1px 7px; border-radius: 4px; background: #eef2fb; color: #33457a; font-size: 12px; }
td.fallback { color: var(--caught); font-weight: 550; }
tr.status-row-failed td { background: #fffafa; }
tr.run-error td { background: var(--fail-bg); color: #7a1f17; white-space: normal; font-size: 13px; padding-top: 6px; padding-bottom: 8px; }

.gate { max-width: 560px; margin: 60px auto; }
.gate p { color: #475467; }
.token-form { display: flex; gap: 10px; margin: 16px 0 8px; }
.token-form input { flex: 1; padding: 8px 10px; border: 1px solid #cfd5df; border-radius: 7px; font: inherit; }
.token-form input:focus { outline: 2px solid rgba(47, 91, 211, 0.3); border-color: var(--accent); }
.toast { position: fixed; right: 20px; bottom: 20px; background: #1c2430; color: #fff; padding: 10px 14px; border-radius: 8px; box-shadow: 0 6px 20px rgba(0,0,0,0.2); }
.notice { padding: 24px; }
.review-form { display: grid; gap: 8px; max-width: 640px; }
.review-form fieldset { border: 1px solid #e3e7ee; border-radius: 7px; padding: 8px 12px; display: grid; gap: 4px; }
.review-form textarea, .review-form input[type=text] { padding: 8px 10px; border: 1px solid #cfd5df; border-radius: 7px; font: inherit; }
.review-form .button { justify-self: start; }
.error-text { color: #7a1f17; }
.review-document h3 { font-size: 15px; margin: 16px 0 6px; }
.review-paragraph { border-top: 1px solid var(--line); padding-top: 4px; }
.review-paragraph p, .review-sentences { margin: 4px 0; max-width: 80ch; }
.review-part ul { margin: 4px 0; padding-left: 20px; }
.review-form .link-button { justify-self: start; color: var(--accent); }
.review-aimed { display: grid; grid-template-columns: auto 6em 1fr; gap: 8px; align-items: start; }
.review-aimed input { padding: 6px 8px; border: 1px solid #cfd5df; border-radius: 7px; font: inherit; }
.badge-waiting { background: #fff4e0; color: #8a5300; }
.review-body { display: grid; grid-template-columns: minmax(0, 640px) minmax(0, 1fr); gap: 20px; align-items: start; }
@media (max-width: 900px) { .review-body { grid-template-columns: 1fr; } }
.review-verdict { border-radius: 8px; padding: 10px 14px; border: 1px solid var(--line); }
.review-verdict.failing { background: var(--fail-bg); border-color: #f1c6c1; }
.review-verdict.passed { background: var(--ok-bg); }
.review-verdict ul { margin: 6px 0 0; padding-left: 18px; }
.redline del { color: #7a1f17; background: #fde8e6; }
.redline ins { color: #14532d; background: #e3f5e9; text-decoration: underline; }
.redline-summary { margin: 4px 0 8px; }
@keyframes pulse { 0%, 100% { opacity: 1; } 50% { opacity: 0.35; } }
`;
