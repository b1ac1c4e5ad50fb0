import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
var a=globalThis.canaryDeployEntry??"main";a==="post"?await(await import("./chunk-UFUJMYEC.js")).runPost():a==="cli"?await(await import("./chunk-VNONLUMA.js")).main():await(await import("./chunk-PLJSYUAR.js")).run();
//# sourceMappingURL=index.js.map
