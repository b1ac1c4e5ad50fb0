// Generated from action.yml by scripts/gen-inputs.js: do not edit by hand.
export interface InputSpec {
  name: string
  description: string
  default: string
  required: boolean
}

export interface OutputSpec {
  name: string
  description: string
}

export const ACTION_INPUTS: readonly InputSpec[] = [
  {
    "name": "command",
    "description": "What to do: deploy | promote | rollback | diff | cleanup.",
    "default": "deploy",
    "required": false
  },
  {
    "name": "kubeconfig",
    "description": "Kubeconfig for the cluster, raw YAML or base64. Empty: KUBECONFIG, then ~/.kube/config, then in-cluster. Every credential in it is masked.",
    "default": "",
    "required": false
  },
  {
    "name": "context",
    "description": "Kubeconfig context to use. Empty: the current context.",
    "default": "",
    "required": false
  },
  {
    "name": "namespace",
    "description": "Namespace the app runs in.",
    "default": "default",
    "required": false
  },
  {
    "name": "app",
    "description": "App name (DNS-1123 label): the plain `app` label, and the prefix of every name the action writes.",
    "default": "",
    "required": true
  },
  {
    "name": "deployments",
    "description": "Stable Deployments that take the new image (comma or newline separated), e.g. `shop-web, shop-worker`. The first one serves HTTP and is smoke-checked. Empty: the app name.",
    "default": "",
    "required": false
  },
  {
    "name": "container",
    "description": "Container that takes the new image in each Deployment. Empty: the first container.",
    "default": "",
    "required": false
  },
  {
    "name": "manifests",
    "description": "Manifest files or folders (one per line, inside the workspace). Given: objects are rendered from them with the image substituted, instead of derived from the live stable Deployments.",
    "default": "",
    "required": false
  },
  {
    "name": "image",
    "description": "Image repository to push to (build: true), e.g. `ghcr.io/org/shop`; or the image to deploy (build: false), by tag or digest. Empty on GitHub: ghcr.io/<owner>/<repo>.",
    "default": "",
    "required": false
  },
  {
    "name": "version",
    "description": "Release version: image tag, label values and Job names. Empty: the short commit SHA.",
    "default": "",
    "required": false
  },
  {
    "name": "build",
    "description": "Build and push the image (true), or deploy `image` as given (false).",
    "default": "true",
    "required": false
  },
  {
    "name": "build-context",
    "description": "Build context folder, inside the workspace.",
    "default": ".",
    "required": false
  },
  {
    "name": "dockerfile",
    "description": "Dockerfile path, inside the workspace. Empty: <build-context>/Dockerfile.",
    "default": "",
    "required": false
  },
  {
    "name": "build-args",
    "description": "Build arguments, one KEY=VALUE a line.",
    "default": "",
    "required": false
  },
  {
    "name": "target",
    "description": "Dockerfile stage to build (`--target`). Empty: the last stage.",
    "default": "",
    "required": false
  },
  {
    "name": "platforms",
    "description": "Platforms to build for, comma separated, e.g. `linux/amd64,linux/arm64`. More than one makes an OCI index and needs buildx. Empty: the builder's own.",
    "default": "",
    "required": false
  },
  {
    "name": "tags",
    "description": "More references to push the same image as, one a line (no commas): a bare tag such as `latest` tags the repository of `image` (`<image>:latest`; in docker/build-push-action it would name an image), a reference with its tag such as `ghcr.io/org/app:stable` is pushed as given (no digest). The release stays bound to the digest.",
    "default": "",
    "required": false
  },
  {
    "name": "labels",
    "description": "Image labels, one KEY=VALUE a line, besides the OCI labels the action sets.",
    "default": "",
    "required": false
  },
  {
    "name": "secrets",
    "description": "Build secrets, one ID=VALUE a line, for `RUN --mount=type=secret,id=ID` (buildx or buildah). Each goes to the builder as a private file removed after the build; masked; never a build argument or a layer.",
    "default": "",
    "required": false
  },
  {
    "name": "provenance",
    "description": "Provenance attestation (buildx): `mode=min`, `mode=max`, `true` (mode=min) or `false`. Empty: as docker/build-push-action, mode=min for a private repository, mode=max for a public one. With an attestation the image is pushed as an OCI index, and the release is bound to its digest.",
    "default": "",
    "required": false
  },
  {
    "name": "sbom",
    "description": "SBOM attestation (buildx): true or false.",
    "default": "false",
    "required": false
  },
  {
    "name": "cache",
    "description": "Build cache: auto (GitHub Actions cache on GitHub, local layers elsewhere) | registry (<image>:buildcache) | none.",
    "default": "auto",
    "required": false
  },
  {
    "name": "registry",
    "description": "Registry to log in to. Empty: the host of `image`.",
    "default": "",
    "required": false
  },
  {
    "name": "registry-username",
    "description": "Registry user name. Empty: no login.",
    "default": "",
    "required": false
  },
  {
    "name": "registry-password",
    "description": "Registry password or token. Masked.",
    "default": "",
    "required": false
  },
  {
    "name": "migrate-command",
    "description": "Migration command, one argument a line or a JSON array (never run through a shell), e.g. `[\"bin/rails\", \"db:migrate\"]`. Run once per version as Job <app>-migrate-<version> before the canary. Empty: no migration.",
    "default": "",
    "required": false
  },
  {
    "name": "migrate-timeout",
    "description": "How long the migration Job may run (its activeDeadlineSeconds), e.g. 10m.",
    "default": "10m",
    "required": false
  },
  {
    "name": "migrate-backoff-limit",
    "description": "Retries of a failed migration pod inside one Job (its backoffLimit), 0 to 10.",
    "default": "0",
    "required": false
  },
  {
    "name": "strategy",
    "description": "How the canary meets traffic: replicas | ingress-host | gateway | ingress-weight (legacy) | rainbow.",
    "default": "replicas",
    "required": false
  },
  {
    "name": "canary-replicas",
    "description": "Replicas of each canary Deployment, 1 to 100. With the replicas strategy, the traffic share is canary / (canary + stable).",
    "default": "1",
    "required": false
  },
  {
    "name": "canary-host",
    "description": "Host name of the canary Ingress rule (ingress-host strategy), e.g. canary.example.com.",
    "default": "",
    "required": false
  },
  {
    "name": "route",
    "description": "HTTPRoute (gateway.networking.k8s.io/v1) that sends traffic to the stable Service (gateway strategy): the canary Service joins its rules as a weighted backendRef. Empty: the app name.",
    "default": "",
    "required": false
  },
  {
    "name": "canary-header",
    "description": "Header rule (gateway strategy), `Name: value`, e.g. `X-Canary: always`: requests carrying it go to the canary at every step, even at weight 0. Empty: no header rule.",
    "default": "",
    "required": false
  },
  {
    "name": "canary-weight",
    "description": "Percentage of traffic sent to the canary (gateway and ingress-weight strategies), 0 to 100.",
    "default": "10",
    "required": false
  },
  {
    "name": "steps",
    "description": "Canary weights to move through, ascending, e.g. `10,25,50` (gateway and ingress-weight strategies). Empty: canary-weight alone.",
    "default": "",
    "required": false
  },
  {
    "name": "step-interval",
    "description": "Wait between weight steps, smoke checks re-run after each, e.g. 2m.",
    "default": "1m",
    "required": false
  },
  {
    "name": "smoke-url",
    "description": "Base URL to smoke-check instead of each canary pod through the API server pod proxy, e.g. https://canary.example.com.",
    "default": "",
    "required": false
  },
  {
    "name": "smoke-port",
    "description": "Container port the pod-proxy smoke checks call. Empty: the first container port.",
    "default": "",
    "required": false
  },
  {
    "name": "health-path",
    "description": "Path that must answer 2xx.",
    "default": "/health",
    "required": false
  },
  {
    "name": "version-path",
    "description": "Path whose body must contain the expected version.",
    "default": "/version",
    "required": false
  },
  {
    "name": "expected-version",
    "description": "What the version path must contain. Empty: the version.",
    "default": "",
    "required": false
  },
  {
    "name": "smoke-timeout",
    "description": "How long smoke checks may retry before failing, e.g. 2m.",
    "default": "2m",
    "required": false
  },
  {
    "name": "timeout",
    "description": "How long each rollout may take to become available, e.g. 10m.",
    "default": "10m",
    "required": false
  },
  {
    "name": "lock-timeout",
    "description": "How long to wait for another run of the same app and namespace to finish.",
    "default": "5m",
    "required": false
  },
  {
    "name": "approve",
    "description": "Must be exactly `true` for promote to proceed.",
    "default": "",
    "required": false
  },
  {
    "name": "digest",
    "description": "Image digest (sha256:...) the promotion is bound to, from the deploy run's summary or `digest` output: required by promote (the canary must run exactly this image), ignored by rollback.",
    "default": "",
    "required": false
  },
  {
    "name": "approvers",
    "description": "Who may promote: GitHub logins or org/team slugs, comma separated. Empty: anyone with write, maintain or admin permission on the repository.",
    "default": "",
    "required": false
  },
  {
    "name": "environment",
    "description": "GitHub environment name. deploy records the canary as a deployment to `<environment>-canary`; a promotion's record is the one the promote job's own `environment:` makes.",
    "default": "production",
    "required": false
  },
  {
    "name": "rollback-on-failure",
    "description": "Remove the canary when a deploy fails (or its run is killed). A failed promotion is always put back.",
    "default": "true",
    "required": false
  },
  {
    "name": "keep-releases",
    "description": "Rainbow strategy: how many releases cleanup keeps at least, 2 to 100.",
    "default": "3",
    "required": false
  },
  {
    "name": "drain-min-age",
    "description": "Rainbow strategy: a replaced release is deleted only once it is older than this, e.g. 24h.",
    "default": "1h",
    "required": false
  },
  {
    "name": "analysis",
    "description": "Metric analysis of the canary (YAML): built-in checks by name (`error-rate, p95-latency`), or `checks:` with rules (`rule: <= stable * 1.2`) and custom PromQL checks (`query` with `{{selector}}`, `samples`, `rule`), plus `min-samples`, `window`, `failure-limit`, `consecutive-error-limit`, `inconclusive-limit`, `metrics`, `labels`. See \"Metric analysis\" in the README. Empty: no analysis.",
    "default": "",
    "required": false
  },
  {
    "name": "prometheus-url",
    "description": "Prometheus HTTP API the runner can reach, e.g. http://prometheus.example.com:9090 (no credentials in it). Or prometheus-service.",
    "default": "",
    "required": false
  },
  {
    "name": "prometheus-service",
    "description": "Prometheus as a Service reached through the API server service proxy, so the runner needs no network path into the cluster (RBAC: get services/proxy): `NAMESPACE/NAME:PORT`, `https:` before NAME for TLS, e.g. `monitoring/prometheus-server:9090`.",
    "default": "",
    "required": false
  },
  {
    "name": "analysis-interval",
    "description": "Wait before each analysis round, e.g. 1m. The range of rate() in the checks ({{window}}) is the larger of this and 5m unless the analysis sets `window:`.",
    "default": "1m",
    "required": false
  },
  {
    "name": "accept-inconclusive",
    "description": "promote: take a canary whose metric analysis was inconclusive (too few samples to judge), the approver's explicit decision, shown in the summary. A failed analysis is refused whatever this says.",
    "default": "false",
    "required": false
  },
  {
    "name": "analysis-rounds",
    "description": "Analysis rounds, 1 to 100: each evaluates every check for the canary and for stable.",
    "default": "5",
    "required": false
  },
  {
    "name": "drain-query",
    "description": "Rainbow cleanup: PromQL giving one release's load, `{{selector}}` standing for its pods' labels, e.g. `sum(http_open_connections{ {{selector}} })`. Needs prometheus-url or prometheus-service.",
    "default": "",
    "required": false
  },
  {
    "name": "drain-path",
    "description": "Rainbow cleanup without Prometheus: a path each pod answers with its open connection count (a bare number), e.g. /connections; summed over the release's pods.",
    "default": "",
    "required": false
  },
  {
    "name": "drain-threshold",
    "description": "Rainbow cleanup: a replaced release counts as drained when its measured load (drain-query or drain-path) is at or below this number.",
    "default": "0",
    "required": false
  },
  {
    "name": "base-ref",
    "description": "Diff without cluster credentials: the git ref to compare the manifests against. Empty: the pull request base.",
    "default": "",
    "required": false
  },
  {
    "name": "comment",
    "description": "Diff: create or update one pull request comment with the diff.",
    "default": "true",
    "required": false
  },
  {
    "name": "github-token",
    "description": "Token for the PR comment, approver checks and GitHub deployments. Masked.",
    "default": "${{ github.token }}",
    "required": false
  }
]

export const ACTION_OUTPUTS: readonly OutputSpec[] = [
  {
    "name": "version",
    "description": "The release version."
  },
  {
    "name": "image",
    "description": "The image reference, by digest."
  },
  {
    "name": "digest",
    "description": "The image digest (sha256:...): what promote must name."
  },
  {
    "name": "imageid",
    "description": "Deploy with build: the image ID (config digest) the builder reported."
  },
  {
    "name": "metadata",
    "description": "Deploy with build: the build result metadata, JSON (buildx's metadata file; the same keys from other builders)."
  },
  {
    "name": "canary",
    "description": "Names of the canary Deployments, comma separated."
  },
  {
    "name": "status",
    "description": "success | failure | refused | no-op."
  },
  {
    "name": "has-changes",
    "description": "Diff: true when the release would change anything."
  },
  {
    "name": "diff",
    "description": "Diff: the unified diff text (truncated to stay within output limits)."
  }
]
