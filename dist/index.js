import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
var a=globalThis.canaryDeployEntry??"main";a==="post"?await(await import("./chunk-KIDD5VQE.js")).runPost():a==="cli"?await(await import("./chunk-KMDAJZLV.js")).main():await(await import("./chunk-X6BC5D4L.js")).run();
//# sourceMappingURL=index.js.map
