/** Bundle entry: exposes installPageRuntime for pageRuntimeScript()'s wrapper (which passes the config). */
export { installPageRuntime } from "../runtime.js";
