// bpmn-js's viewer in the local renderer's shared Chromium: render(source)
// resolves to {svg} or {error}.
window.render = async (source) => {
  const viewer = new BpmnJS({ container: '#canvas' });
  try {
    const { warnings } = await viewer.importXML(source);
    if (warnings.length && !viewer.get('elementRegistry').getAll().length) {
      return { error: warnings.map((w) => w.message).join('\n') };
    }
    viewer.get('canvas').zoom('fit-viewport');
    const { svg } = await viewer.saveSVG();
    return { svg };
  } catch (e) {
    return { error: String((e && e.message) || e) };
  } finally {
    viewer.destroy();
  }
};
