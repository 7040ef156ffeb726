// The map viewer: each scene in its own CRS (an ol/proj/Projection with the CRS's code and the
// scene's extent; pixel coordinates for images without georeferencing), the image and the class
// map as static image layers, optional confidence and polygon layers, opacity, swipe, legend and
// a click that reads the class (and confidence) from the raster embedded in the scene's data file.
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import ScaleLine from 'ol/control/ScaleLine.js';
import {defaults as defaultControls} from 'ol/control/defaults.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import ImageLayer from 'ol/layer/Image.js';
import VectorLayer from 'ol/layer/Vector.js';
import Projection from 'ol/proj/Projection.js';
import {getRenderPixel} from 'ol/render.js';
import ImageStatic from 'ol/source/ImageStatic.js';
import VectorSource from 'ol/source/Vector.js';
import {Fill, Stroke, Style} from 'ol/style.js';
import {decodeRaster} from './decode.js';
import {renderLegend, renderPick} from './legend.js';

function byId(root, id) {
  return root.getElementById(id);
}

function imageLayer(url, scene, projection, options) {
  return new ImageLayer({
    source: new ImageStatic({url, imageExtent: scene.extent, projection, interpolate: options.interpolate}),
    opacity: options.opacity ?? 1,
    visible: options.visible ?? true,
  });
}

function clipToSwipe(viewer, layer) {
  layer.on('prerender', (event) => {
    const ctx = event.context;
    const size = viewer.map.getSize();
    const left = (size[0] * Number(viewer.ui.swipe.value)) / 100;
    const corners = [[left, 0], [left, size[1]], size, [size[0], 0]].map((p) => getRenderPixel(event, p));
    ctx.save();
    ctx.beginPath();
    ctx.moveTo(corners[0][0], corners[0][1]);
    for (const [x, y] of corners.slice(1)) ctx.lineTo(x, y);
    ctx.closePath();
    ctx.clip();
  });
  layer.on('postrender', (event) => event.context.restore());
}

function polygonStyle(scene) {
  const cache = {};
  return (feature) => {
    const index = feature.get('_class');
    if (!cache[index]) {
      const entry = scene.legend[index];
      const [r, g, b] = entry ? entry.color : [255, 255, 255];
      cache[index] = new Style({
        stroke: new Stroke({color: 'rgba(20, 20, 20, 0.9)', width: 1}),
        fill: new Fill({color: `rgba(${r}, ${g}, ${b}, 0.25)`}),
      });
    }
    return cache[index];
  };
}

function sceneProjection(scene) {
  const crs = scene.crs;
  return new Projection({
    code: crs.code,
    units: crs.units,
    extent: scene.extent,
    metersPerUnit: crs.meters_per_unit || undefined,
  });
}

function buildLayers(viewer, scene, projection) {
  const ui = viewer.ui;
  const layers = {
    image: scene.image_url ? imageLayer(scene.image_url, scene, projection, {interpolate: true}) : null,
    classes: imageLayer(scene.classes_url, scene, projection, {
      interpolate: false,
      opacity: Number(ui.opacity.value) / 100,
      visible: ui.showClasses.checked,
    }),
  };
  clipToSwipe(viewer, layers.classes);
  if (scene.doubt_url) {
    layers.doubt = imageLayer(scene.doubt_url, scene, projection, {
      interpolate: false,
      visible: ui.showDoubt.checked,
    });
  }
  layers.polygons = new VectorLayer({
    source: new VectorSource(),
    style: polygonStyle(scene),
    visible: ui.showPolygons.checked,
  });
  return layers;
}

function setAvailable(input, available) {
  input.disabled = !available;
  input.closest('label').classList.toggle('unavailable', !available);
}

export function showScene(viewer, index) {
  const {map, ui, report} = viewer;
  const scene = report.scenes[index];
  viewer.scene = scene;
  ui.map.dataset.scene = String(index);
  delete ui.map.dataset.dataReady;
  const projection = sceneProjection(scene);
  viewer.projection = projection;
  viewer.layers = buildLayers(viewer, scene, projection);
  const order = ['image', 'classes', 'doubt', 'polygons'];
  map.setLayers(order.map((k) => viewer.layers[k]).filter(Boolean));
  map.setView(new View({projection, showFullExtent: true, constrainOnlyCenter: true, extent: scene.extent}));
  map.updateSize();
  map.getView().fit(scene.extent, {padding: [8, 8, 8, 8]});
  if (scene.crs.units === 'pixels') map.removeControl(viewer.scaleLine);
  else if (!map.getControls().getArray().includes(viewer.scaleLine)) map.addControl(viewer.scaleLine);
  setAvailable(ui.showDoubt, Boolean(scene.doubt_url));
  setAvailable(ui.showPolygons, scene.has_polygons);
  ui.select.value = String(index);
  ui.title.textContent = scene.title;
  ui.crs.textContent = scene.crs.label;
  ui.base.textContent = scene.base_note;
  renderLegend(ui.legend, scene);
  renderPick(ui.pick, {message: 'Click the map to read the class at that point.'});
  for (const row of document.querySelectorAll('tr[data-scene]')) {
    row.classList.toggle('selected', row.dataset.scene === String(index));
  }
  loadSceneData(viewer, scene);
}

function loadSceneData(viewer, scene) {
  const entry = viewer.data[scene.index];
  if (entry && entry.state === 'ready') {
    addPolygons(viewer, entry);
    viewer.ui.map.dataset.dataReady = String(scene.index);
    return;
  }
  if (entry) return; // still loading: receiveScene finishes the job
  viewer.data[scene.index] = {state: 'loading'};
  const script = document.createElement('script');
  script.src = scene.data_url;
  script.onerror = () => {
    viewer.data[scene.index] = {state: 'failed'};
    renderPick(viewer.ui.pick, {message: `Could not load ${scene.data_url}: clicks cannot tell the class.`});
  };
  document.body.append(script);
}

async function receiveScene(viewer, index, raw) {
  const entry = {state: 'decoding'};
  viewer.data[index] = entry;
  entry.labels = await decodeRaster(raw.labels);
  entry.confidence = await decodeRaster(raw.confidence);
  entry.polygons = raw.polygons || null;
  entry.state = 'ready';
  if (viewer.scene && viewer.scene.index === index) {
    addPolygons(viewer, entry);
    viewer.ui.map.dataset.dataReady = String(index);
  }
}

function addPolygons(viewer, entry) {
  const source = viewer.layers.polygons.getSource();
  if (!entry.polygons || source.getFeatures().length) return;
  const format = new GeoJSON({dataProjection: viewer.projection, featureProjection: viewer.projection});
  source.addFeatures(format.readFeatures(entry.polygons));
}

function rasterIndex(scene, coordinate) {
  const [minx, miny, maxx, maxy] = scene.extent;
  const [w, h] = scene.preview;
  const col = Math.floor(((coordinate[0] - minx) / (maxx - minx)) * w);
  const row = Math.floor(((maxy - coordinate[1]) / (maxy - miny)) * h);
  return col < 0 || row < 0 || col >= w || row >= h ? -1 : row * w + col;
}

function whereText(scene, coordinate) {
  if (scene.crs.units === 'pixels') {
    return `column ${Math.floor(coordinate[0])}, row ${Math.floor(-coordinate[1])}`;
  }
  const digits = scene.crs.units === 'degrees' ? 6 : 1;
  return `${coordinate[0].toFixed(digits)}, ${coordinate[1].toFixed(digits)} (${scene.crs.code})`;
}

function polygonText(viewer, pixel) {
  const polygons = viewer.layers.polygons;
  if (!polygons.getVisible() || !polygons.getSource().getFeatures().length) return '';
  const layerFilter = (layer) => layer === viewer.layers.polygons;
  const feature = viewer.map.forEachFeatureAtPixel(pixel, (f) => f, {layerFilter});
  if (!feature) return '';
  const ha = feature.get('_ha');
  return typeof ha === 'number' ? `polygon ${ha.toFixed(2)} ha` : 'polygon';
}

export function pick(viewer, coordinate, pixel) {
  const scene = viewer.scene;
  const entry = viewer.data[scene.index];
  const where = whereText(scene, coordinate);
  const i = rasterIndex(scene, coordinate);
  if (i < 0) return renderPick(viewer.ui.pick, {message: `${where}: outside the scene`});
  if (!entry || entry.state !== 'ready') {
    return renderPick(viewer.ui.pick, {message: 'The class raster is still loading; click again.'});
  }
  const value = entry.labels.values[i];
  const cls = scene.legend[value];
  const confidence = entry.confidence ? entry.confidence.values[i] / 255 : null;
  const info = {
    className: cls ? cls.name : 'no data',
    color: cls ? cls.color : null,
    confidence: cls ? confidence : null,
    polygon: pixel ? polygonText(viewer, pixel) : '',
    where,
  };
  renderPick(viewer.ui.pick, info);
  return info;
}

function wireControls(viewer) {
  const ui = viewer.ui;
  const render = () => viewer.map.render();
  ui.select.addEventListener('change', () => showScene(viewer, Number(ui.select.value)));
  ui.opacity.addEventListener('input', () => viewer.layers.classes.setOpacity(Number(ui.opacity.value) / 100));
  ui.swipe.addEventListener('input', render);
  ui.showClasses.addEventListener('change', () => viewer.layers.classes.setVisible(ui.showClasses.checked));
  ui.showDoubt.addEventListener('change', () => viewer.layers.doubt?.setVisible(ui.showDoubt.checked));
  ui.showPolygons.addEventListener('change', () => viewer.layers.polygons.setVisible(ui.showPolygons.checked));
  for (const row of document.querySelectorAll('tr[data-scene]')) {
    row.addEventListener('click', () => {
      showScene(viewer, Number(row.dataset.scene));
      ui.map.scrollIntoView({behavior: 'smooth', block: 'center'});
    });
  }
}

function findUi(root) {
  const ids = {
    map: 'map', select: 'scene-select', opacity: 'opacity', swipe: 'swipe', showClasses: 'show-classes',
    showDoubt: 'show-doubt', showPolygons: 'show-polygons', legend: 'legend', pick: 'pick',
    title: 'scene-title', crs: 'scene-crs', base: 'scene-base',
  };
  return Object.fromEntries(Object.entries(ids).map(([key, id]) => [key, byId(root, id)]));
}

export function initMap(report, root) {
  const ui = findUi(root);
  const map = new Map({target: ui.map, controls: defaultControls({attribution: false, rotate: false})});
  const viewer = {map, ui, report, scene: null, layers: {}, data: {}, renders: 0, scaleLine: new ScaleLine()};
  window.landcoverViewer = viewer; // for the browser tests and the console
  window.landcoverSceneData = (index, raw) => {
    receiveScene(viewer, index, raw).catch((err) => {
      viewer.data[index] = {state: 'failed'};
      console.error(`scene ${index}: ${err.message}`);
    });
  };
  map.on('rendercomplete', () => {
    viewer.renders += 1;
    ui.map.dataset.renders = String(viewer.renders);
  });
  map.on('singleclick', (event) => pick(viewer, event.coordinate, event.pixel));
  for (const scene of report.scenes) ui.select.append(new Option(scene.title, String(scene.index)));
  wireControls(viewer);
  showScene(viewer, 0);
}
