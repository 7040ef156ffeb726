// The legend of the scene shown (class colour, name, hectares and share) and the text of a click.

const hectareFormat = new Intl.NumberFormat('en-US', {minimumFractionDigits: 2, maximumFractionDigits: 2});

export function formatHectares(ha) {
  return ha === null || ha === undefined ? '–' : `${hectareFormat.format(ha)} ha`;
}

export function rgb(color) {
  return `rgb(${color[0]}, ${color[1]}, ${color[2]})`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function renderLegend(list, scene) {
  list.replaceChildren();
  for (const c of scene.legend) {
    const item = el('li', c.pixels ? 'legend-item' : 'legend-item absent');
    item.dataset.class = c.name;
    item.dataset.index = String(c.index);
    if (c.hectares !== null && c.hectares !== undefined) item.dataset.hectares = String(c.hectares);
    const swatch = el('span', 'swatch');
    swatch.style.background = rgb(c.color);
    item.append(swatch, el('span', 'name', c.name));
    item.append(el('span', 'ha', formatHectares(c.hectares)));
    item.append(el('span', 'share', `${(100 * (c.fraction || 0)).toFixed(1)} %`));
    list.append(item);
  }
}

export function renderPick(box, info) {
  box.replaceChildren();
  box.dataset.class = info.className || '';
  if (info.message) {
    box.append(el('span', 'pick-message', info.message));
    return;
  }
  if (info.color) {
    const swatch = el('span', 'swatch');
    swatch.style.background = rgb(info.color);
    box.append(swatch);
  }
  box.append(el('strong', 'pick-class', info.className));
  if (info.confidence !== null && info.confidence !== undefined) {
    const conf = el('span', 'pick-confidence', `confidence ${(100 * info.confidence).toFixed(0)} %`);
    box.dataset.confidence = info.confidence.toFixed(3);
    box.append(conf);
  } else {
    delete box.dataset.confidence;
  }
  if (info.polygon) box.append(el('span', 'pick-polygon', info.polygon));
  box.append(el('span', 'pick-where', info.where));
}
