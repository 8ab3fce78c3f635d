{{/* Names and labels. */}}
{{- define "nightshift.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "nightshift.labels" -}}
app.kubernetes.io/name: nightshift
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* selector labels: include with (dict "root" $ "component" "worker") */}}
{{- define "nightshift.selector" -}}
app.kubernetes.io/name: nightshift
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "nightshift.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}

{{- define "nightshift.sa" -}}
{{- printf "%s-%s" (include "nightshift.fullname" .root) .component -}}
{{- end -}}

{{/* The worker's and gateway's container hardening (Pod Security "restricted"). */}}
{{- define "nightshift.containerSecurity" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "nightshift.podSecurity" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurityContext.runAsUser }}
runAsGroup: {{ .Values.podSecurityContext.runAsGroup }}
fsGroup: {{ .Values.podSecurityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Temporal: the standard TEMPORAL_* variables; secrets as files. */}}
{{- define "nightshift.temporalEnv" -}}
- name: TEMPORAL_ADDRESS
  value: {{ .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
- name: NIGHTSHIFT_TASK_QUEUE
  value: {{ .Values.temporal.taskQueue | quote }}
{{- with .Values.temporal.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- with .Values.temporal.tls }}
{{- if .existingSecret }}
{{- if and .certKey .keyKey }}
- name: TEMPORAL_TLS_CERT
  value: /etc/nightshift/temporal-tls/{{ .certKey }}
- name: TEMPORAL_TLS_KEY
  value: /etc/nightshift/temporal-tls/{{ .keyKey }}
{{- end }}
{{- if .caKey }}
- name: TEMPORAL_TLS_CA
  value: /etc/nightshift/temporal-tls/{{ .caKey }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.temporal.apiKey.existingSecret }}
- name: TEMPORAL_API_KEY_FILE
  value: /etc/nightshift/temporal-api-key/{{ .Values.temporal.apiKey.key }}
{{- end }}
- name: NIGHTSHIFT_CONFIG
  value: /etc/nightshift/config/nightshift.yaml
- name: LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
{{- end -}}

{{- define "nightshift.temporalMounts" -}}
- name: config
  mountPath: /etc/nightshift/config
  readOnly: true
{{- if .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  mountPath: /etc/nightshift/temporal-tls
  readOnly: true
{{- end }}
{{- if .Values.temporal.apiKey.existingSecret }}
- name: temporal-api-key
  mountPath: /etc/nightshift/temporal-api-key
  readOnly: true
{{- end }}
{{- end -}}

{{- define "nightshift.temporalVolumes" -}}
- name: config
  configMap:
    name: {{ include "nightshift.fullname" . }}-config
    items:
      - key: nightshift.yaml
        path: nightshift.yaml
{{- with .Values.temporal.tls }}
{{- if .existingSecret }}
- name: temporal-tls
  secret:
    secretName: {{ .existingSecret }}
    defaultMode: 0440
    items:
      {{- range compact (list .certKey .keyKey .caKey) }}
      - key: {{ . }}
        path: {{ . }}
      {{- end }}
{{- end }}
{{- end }}
{{- if .Values.temporal.apiKey.existingSecret }}
- name: temporal-api-key
  secret:
    secretName: {{ .Values.temporal.apiKey.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ .Values.temporal.apiKey.key }}
        path: {{ .Values.temporal.apiKey.key }}
{{- end }}
{{- end -}}

{{/* Slack, for the worker and the gateway (resolveSlack needs the same in both). */}}
{{- define "nightshift.slackEnv" -}}
{{- with .Values.slack }}
{{- if .existingSecret }}
- name: NIGHTSHIFT_SLACK_MODE
  value: slack
- name: SLACK_BOT_TOKEN_FILE
  value: /etc/nightshift/slack/{{ .botTokenKey }}
{{- if .socketMode }}
- name: SLACK_APP_TOKEN_FILE
  value: /etc/nightshift/slack/{{ .appTokenKey }}
- name: NIGHTSHIFT_SLACK_SOCKET_MODE
  value: "true"
{{- else }}
- name: SLACK_SIGNING_SECRET_FILE
  value: /etc/nightshift/slack/{{ .signingSecretKey }}
{{- end }}
{{- end }}
{{- with .channel }}
- name: NIGHTSHIFT_SLACK_CHANNEL
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "nightshift.slackVolume" -}}
{{- with .Values.slack }}
{{- if .existingSecret }}
- name: slack
  secret:
    secretName: {{ .existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ .botTokenKey }}
        path: {{ .botTokenKey }}
      {{- $second := ternary .appTokenKey .signingSecretKey .socketMode }}
      - key: {{ $second }}
        path: {{ $second }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "nightshift.slackMount" -}}
{{- if .Values.slack.existingSecret }}
- name: slack
  mountPath: /etc/nightshift/slack
  readOnly: true
{{- end }}
{{- end -}}

{{/* Runbooks and experiments from the ConfigMap, file by file beside the image's own. */}}
{{- define "nightshift.runbookMounts" -}}
{{- range $name, $_ := .Values.runbooks.files }}
- name: runbooks
  mountPath: {{ $.Values.appDir }}/runbooks/{{ $name }}.yaml
  subPath: runbook-{{ $name }}.yaml
  readOnly: true
{{- end }}
{{- range $name, $_ := .Values.runbooks.experiments }}
- name: runbooks
  mountPath: {{ $.Values.appDir }}/runbooks/experiments/{{ $name }}.yaml
  subPath: experiment-{{ $name }}.yaml
  readOnly: true
{{- end }}
{{- end -}}

{{- define "nightshift.runbookVolume" -}}
{{- if or .Values.runbooks.files .Values.runbooks.experiments }}
- name: runbooks
  configMap:
    name: {{ include "nightshift.fullname" . }}-runbooks
{{- end }}
{{- end -}}

{{/* Restart the pods when what they read at start changes. */}}
{{- define "nightshift.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- end -}}
