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

// warm runs once when the page is loaded ahead of a render: the viewer's
// first import sets up far more than the ones after it.
window.warm = () =>
  window.render(
    '<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="d" targetNamespace="http://bpmn.io/schema/bpmn"><process id="p"><task id="t" name="warm"/></process><bpmndi:BPMNDiagram id="g"><bpmndi:BPMNPlane id="l" bpmnElement="p"><bpmndi:BPMNShape id="t_di" bpmnElement="t"><dc:Bounds x="0" y="0" width="100" height="80"/></bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram></definitions>',
  );
