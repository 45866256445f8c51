/** The viewer's HTML shell: no data, no inline script (the CSP forbids it). */
export const viewerHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Affiant · runs</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/viewer/app.css">
<script src="/viewer/app.js" defer></script>
</head>
<body>
<header class="topbar">
  <a class="brand" href="#/">Affiant <span>runs</span></a>
  <nav id="crumbs" aria-label="breadcrumb"></nav>
  <span id="live" class="live" hidden>live</span>
  <button id="signout" class="link-button" type="button" hidden>Forget token</button>
</header>
<main id="view" aria-live="polite"><p class="muted">Loading…</p></main>
<noscript><p class="notice">The run viewer needs JavaScript.</p></noscript>
</body>
</html>
`;
