// Draw the ```mermaid blocks (pymdownx.superfences writes them as <div class="mermaid">) with
// the copy of mermaid beside this file, so the diagrams render without a network: agencies
// read these docs air-gapped. Material's own integration is not used: it renders <pre
// class="mermaid"> blocks and fetches mermaid from a CDN when the page has none.
//
// deterministicIds: without it mermaid names each diagram's SVG after Date.now(), and two
// diagrams drawn within one millisecond (lifecycles.md has eight) share an id, so the second
// is drawn into the first's SVG and shows empty.
mermaid.initialize({ startOnLoad: true, securityLevel: "strict", deterministicIds: true });
