/** Bundle entry: installs window.__frameloomLayers when the bundle is evaluated. */
import { installLayerPlanner } from "../layerPlanner.js";

installLayerPlanner();
