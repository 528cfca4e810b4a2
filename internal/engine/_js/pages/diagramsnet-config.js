// draw.io's viewer settings, before it loads: no resources, stylesheets,
// storage or sync; nothing is fetched.
window.mxLoadResources = false;
window.mxLoadStylesheets = false;
window.mxBasePath = 'mxgraph';
window.mxImageBasePath = 'mxgraph/images';
window.STENCIL_PATH = 'stencils';
window.SHAPES_PATH = 'shapes';
window.isLocalStorage = false;
window.urlParams = { offline: '1', sync: 'none', lang: 'en', stealth: '1' };
