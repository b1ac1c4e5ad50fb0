import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
var a=globalThis.canaryDeployEntry??"main";a==="post"?await(await import("./chunk-TPKCU2SE.js")).runPost():a==="cli"?await(await import("./chunk-6X7CJP6B.js")).main():await(await import("./chunk-INFPCQIN.js")).run();
//# sourceMappingURL=index.js.map
