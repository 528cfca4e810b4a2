// Excalidraw's exportToSvg (@excalidraw/utils, as Kroki uses it) in the
// local renderer's shared Chromium: render(source) resolves to {svg} or
// {error}.
window.render = async (source) => {
  let doc;
  try {
    doc = JSON.parse(source);
  } catch (e) {
    return { error: String(e.message) };
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.elements)) {
    return { error: 'An Excalidraw document is a JSON object with an "elements" array.' };
  }
  try {
    const svg = await ExcalidrawUtils.exportToSvg({
      elements: doc.elements,
      appState: Object.assign({ exportBackground: true, exportWithDarkMode: false }, doc.appState || {}),
      files: doc.files || {},
    });
    return { svg: new XMLSerializer().serializeToString(svg) };
  } catch (e) {
    return { error: String((e && e.message) || e) };
  }
};

// warm runs once when the page is loaded ahead of a render.
window.warm = () =>
  window.render('{"type":"excalidraw","elements":[{"id":"w","type":"rectangle","x":0,"y":0,"width":10,"height":10,"seed":1}],"appState":{},"files":{}}');
