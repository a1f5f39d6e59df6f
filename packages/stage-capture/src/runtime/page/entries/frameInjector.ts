/** Bundle entry: installs window.__frameloomInject when the bundle is evaluated. */
import { installFrameInjector } from "../frameInjector.js";

installFrameInjector();
