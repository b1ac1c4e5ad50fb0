import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
function i(t){return/[\r\n]/.test(t.trim())?t.split(/\r?\n/).map(r=>r.trim()).filter(r=>r.length>=4&&!/^-----(BEGIN|END) /.test(r)):t.trim()?[t.trim()]:[]}export{i as a};
//# sourceMappingURL=chunk-2Q5RQPV4.js.map
