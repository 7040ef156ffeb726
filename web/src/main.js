// Entry point of the report's script: sortable tables on every page, the map viewer on run
// reports. The report's data comes from report_assets/report-data.js (window.LANDCOVER_REPORT),
// loaded before this script: no fetch(), so the page works from file:// with no server.
import 'ol/ol.css';
import './report.css';
import {initMap} from './map.js';
import {initTables} from './tables.js';

function start() {
  initTables(document);
  const report = window.LANDCOVER_REPORT;
  if (report && Array.isArray(report.scenes) && report.scenes.length && document.getElementById('map')) {
    initMap(report, document);
  }
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
