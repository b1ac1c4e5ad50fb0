import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
var a=globalThis.canaryDeployEntry??"main";a==="post"?await(await import("./chunk-3STFF4UI.js")).runPost():a==="cli"?await(await import("./chunk-B4IP7MFE.js")).main():await(await import("./chunk-LAIYKOEQ.js")).run();
//# sourceMappingURL=index.js.map
