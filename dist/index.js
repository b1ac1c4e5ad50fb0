import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
var a=globalThis.canaryDeployEntry??"main";a==="post"?await(await import("./chunk-MFF7KUUH.js")).runPost():a==="cli"?await(await import("./chunk-PLN4TT2O.js")).main():await(await import("./chunk-M7IJ5DQJ.js")).run();
//# sourceMappingURL=index.js.map
