// Mermaid in the local renderer's shared Chromium: render(source, options)
// resolves to {svg} or {error}. securityLevel strict: no scripts, no
// clicks, labels sanitized.
window.render = async (source, options) => {
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: (options && options.theme) || 'default' });
  try {
    const { svg } = await mermaid.render('diagram', source);
    return { svg };
  } catch (e) {
    return { error: String((e && e.message) || e) };
  }
};

// warm runs once when the page is loaded ahead of a render: Mermaid's first
// render in a page sets up far more than the ones after it.
window.warm = () => window.render('graph TD\n  a --> b', {});
