namespace KvCluster.ApiServer.Tests.Protobuf;

/// <summary>
/// What kubectl v1.32.4 sent for `kubectl create job manual --from=cronjob/rich`, after a local listener had served it a
/// CronJob whose pod template sets nearly every PodSpec field (zeros and empty strings included, to tell Go pointers and
/// omitempty apart), with the JSON the same command prints with --dry-run=client -o json.
/// </summary>
internal static class KubectlRichJob
{
    public const string Command = "kubectl create job manual --from=cronjob/rich";

    /// <summary>Base64 (line breaks are ignored by Convert.FromBase64String).</summary>
    public const string Body =
        """
        azhzAAoPCghiYXRjaC92MRIDSm9iEvMUCqABCgZtYW51YWwSABoAIgAqADIAOABCAFoNCgR0aWVyEgViYXRjaGIrCiFjcm9uam9iLmt1YmVybmV0
        ZXMuaW8vaW5zdGFudGlhdGUSBm1hbnVhbGIJCgRub3RlEgF4akEKB0Nyb25Kb2IaBHJpY2giJDBiNWM1ZTJlLTExMTEtMjIyMi0zMzMzLTQ0NDQ1
        NTU1NjY2NioIYmF0Y2gvdjEwARLDEwgAEAMY2AQysRIKHQoAEgAaACIAKgAyADgAQgBaCwoDYXBwEgRyaWNoEo8SCh8KAmNtEhmaARYKBQoDY2Zn
        EggKAWsSAXAYABikAyAAChAKA3NlYxIJMgcKAXMYACABChkKA21lbRISEhAKBk1lbW9yeRIGCgQ2NE1pChYKBGhvc3QSDgoMCggvdmFyL2xvZxIA
        CrkBCgRwcm9qErAB0gGsAQoRIg8KA2FwaRCQHBoFdG9rZW4KSBJGCh8KBmxhYmVscxIVCgJ2MRIPbWV0YWRhdGEubGFiZWxzCiMKA21lbRocCgRt
        YWluEg1saW1pdHMubWVtb3J5GgUKAzFNaQoSGhAKBgoEY2ZnMhIGCgFhEgFiCgoKCAoECgJzMiAACioqKBISZXhhbXBsZS5jb20vc2lnbmVyGggK
        BgoBeBIBeSIGY2EucGVtKAEQoAIKEwoFY2xhaW0SClIICgRkYXRhEAEK1gEKA2VwaBLOAeoBygEKxwEKGAoAEgAaACIAKgAyADgAQgBaBgoBdhIB
        MRKqAQoNUmVhZFdyaXRlT25jZRIkChAKB3N0b3JhZ2USBQoDMkdpEhAKB3N0b3JhZ2USBQoDMUdpGgAiDRILCgFrEgZFeGlzdHMqADIKRmlsZXN5
        c3RlbTocEhVQZXJzaXN0ZW50Vm9sdW1lQ2xhaW0aA3NyY0I2ChdzbmFwc2hvdC5zdG9yYWdlLms4cy5pbxIOVm9sdW1lU25hcHNob3QaBHNuYXAi
        BW90aGVyCh8KA25mcxIYOhYKCDEwLjAuMC4xEggvZXhwb3J0cxgACjUKA2NzaRIu4gErCg9jc2kuZXhhbXBsZS5jb20QABoAIgYKAWESATEiBgoB
        YhIBMioECgJucwomCgNpbWcSH/IBHAoMcmVnaXN0cnkveDoxEgxJZk5vdFByZXNlbnQKJQoEZGFwaRIdggEaChgKAW4SEQoAEg1tZXRhZGF0YS5u
        YW1lIAAS1gUKBG1haW4SBWFwcDoxGggvYmluL2FwcCIFLS12PTIiACoCL3cyGgoDZG5zEOkpGDUiA1VEUCoJMTI3LjAuMC4xMgsKABAAGJA/IgAq
        ADoJCgVFTVBUWRIAOhwKA1BPRBIAGhMKEQoAEg1tZXRhZGF0YS5uYW1lOh4KA0NQVRIAGhUSEwoAEgpsaW1pdHMuY3B1GgMKATA6FQoBSxIAGg4a
        DAoFCgNjZmcSAWsYAEJhCgoKA2NwdRIDCgEyCg8KBm1lbW9yeRIFCgMxR2kKFQoObnZpZGlhLmNvbS9ncHUSAwoBMRINCgNjcHUSBgoEMjUwbRIR
        CgZtZW1vcnkSBwoFNTEyTWkaCQoDZ3B1EgJyMUoyCgJjbRABGggvZXRjL2NmZyIBeCoPSG9zdFRvQ29udGFpbmVyMgA6CklmUG9zc2libGVKFQoD
        bWVtEAAaAi9tIgAyBiQoUE9EKVIeChAKDgoDY2F0CgcvdG1wL29rEAAYASAAKAAwAzgAWiUKGRoXCgoIARAAGgRodHRwEglsb2NhbGhvc3QQABgA
        IAAoADAAYi0KJRIjCgYvc3RhcnQSBwgAEJA/GgAaACIFSFRUUFMqBwoDWC1BEgASBCICCABqFC9kZXYvdGVybWluYXRpb24tbG9ncgZBbHdheXN6
        ZgoQCglORVRfQURNSU4SA0FMTBAAGg0KAXUSAXIaAXQiAnMwIAAoADABOABAAEoHRGVmYXVsdFIHCgFnGgAgAFoTCglMb2NhbGhvc3QSBnAuanNv
        bmIQCg5SdW50aW1lRGVmYXVsdIABAYgBAZABAZoBEQoEQ0ZHXxIJCgUKA2NmZxAAmgEJCgAaBQoDCgFzogEVRmFsbGJhY2tUb0xvZ3NPbkVycm9y
        qgEQCgNibGsSCS9kZXYveHZkYbIBEwoHIgUIgkcSABAAGAAgAigAMAC6ARIKA2NwdRILTm90UmVxdWlyZWQaBU5ldmVyIAAoHjIETm9uZToLCgRk
        aXNrEgNzc2Q6CQoEem9uZRIBYUIGcnVubmVySgZydW5uZXJSAm4xWAFgAWgBcoABCgoKABIAGgAiAnMwEAAYACAAIOgHKAAw6Ac6GgoSbmV0LmNv
        cmUuc29tYXhjb25uEgQxMDI0Sg5PblJvb3RNaXNtYXRjaFIQCg5SdW50aW1lRGVmYXVsdFoRCglMb2NhbGhvc3QSBHByb2ZiBlN0cmljdGoLTW91
        bnRPcHRpb256CQoHcmVnY3JlZHoCCgCCAQFoigEDc3VikgG9AQpTCj4KPAodChBrdWJlcm5ldGVzLmlvL29zEgJJbhoFbGludXgSGwoNbWV0YWRh
        dGEubmFtZRIFTm90SW4aA2JhZBIRCAESDQoLCgFrEgZFeGlzdHMSRQpDCgsKCQoDYXBwEgJkYhIEZGF0YRoWa3ViZXJuZXRlcy5pby9ob3N0bmFt
        ZSIAKhFwb2QtdGVtcGxhdGUtaGFzaDIBeBofEh0IZBIZChESDwoDYXBwEgJJbhoEcmljaBoEem9uZZoBBmN1c3RvbaIBLQoHc2lkZWNhchIFcHJv
        eHkqAEIAagByAIABAIgBAJABAKIBAMIBBkFsd2F5c6gBALIBGgoBaxIFRXF1YWwaAXYiCU5vRXhlY3V0ZSgAsgEOCgASBkV4aXN0cxoAIgC6ARwK
        CDEwLjEuMS4xEgdhLmxvY2FsEgdiLmxvY2FswgEEaGlnaMgBANIBNAoHMS4xLjEuMRIJc3ZjLmxvY2FsGgoKBW5kb3RzEgEyGgcKBWVkbnMwGgkK
        BWVtcHR5EgDYAQDiARMKEWV4YW1wbGUuY29tL3JlYWR56gEGZ3Zpc29y8AEA+gEFTmV2ZXKCAgwKA2NwdRIFCgMxMG2KAkoIARIEem9uZRoNRG9O
        b3RTY2hlZHVsZSINCgsKA2FwcBIEcmljaCgCMgVIb25vcjoGSWdub3JlQhFwb2QtdGVtcGxhdGUtaGFzaJICLAokCgVkZWJ1ZxIHYnVzeWJveCoA
        QgBqAHIAgAEBiAEAkAEAogEAEgRtYWlumAIAogIHCgVsaW51eKgCALICEgoQZXhhbXBsZS5jb20vZ2F0ZboCEAoDZ3B1GglncHUtY2xhaW26AhMK
        A3RwbCIMZ3B1LXRlbXBsYXRlwgIMCgoKA2NwdRIDCgE0OABAAEoHSW5kZXhlZFAAWkEKGwoHRmFpbEpvYhIQCgRtYWluEgJJbhgBGAIYAAoiCgZJ
        Z25vcmUaGAoQRGlzcnVwdGlvblRhcmdldBIEVHJ1ZWABaAByBkZhaWxlZHoca3ViZXJuZXRlcy5pby9qb2ItY29udHJvbGxlcoIBCQoHCgMwLTIQ
        ABoIIAAoADAAOgAaACIA
        """;

    public const string Json =
        """
        {
         "kind": "Job",
         "apiVersion": "batch/v1",
         "metadata": {
          "name": "manual",
          "creationTimestamp": null,
          "labels": {
           "tier": "batch"
          },
          "annotations": {
           "cronjob.kubernetes.io/instantiate": "manual",
           "note": "x"
          },
          "ownerReferences": [
           {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": "rich",
            "uid": "0b5c5e2e-1111-2222-3333-444455556666",
            "controller": true
           }
          ]
         },
         "spec": {
          "parallelism": 0,
          "completions": 3,
          "activeDeadlineSeconds": 600,
          "podFailurePolicy": {
           "rules": [
            {
             "action": "FailJob",
             "onExitCodes": {
              "containerName": "main",
              "operator": "In",
              "values": [
               1,
               2,
               0
              ]
             }
            },
            {
             "action": "Ignore",
             "onPodConditions": [
              {
               "type": "DisruptionTarget",
               "status": "True"
              }
             ]
            }
           ]
          },
          "successPolicy": {
           "rules": [
            {
             "succeededIndexes": "0-2",
             "succeededCount": 0
            }
           ]
          },
          "backoffLimit": 0,
          "backoffLimitPerIndex": 1,
          "maxFailedIndexes": 0,
          "template": {
           "metadata": {
            "creationTimestamp": null,
            "labels": {
             "app": "rich"
            }
           },
           "spec": {
            "volumes": [
             {
              "name": "cm",
              "configMap": {
               "name": "cfg",
               "items": [
                {
                 "key": "k",
                 "path": "p",
                 "mode": 0
                }
               ],
               "defaultMode": 420,
               "optional": false
              }
             },
             {
              "name": "sec",
              "secret": {
               "secretName": "s",
               "defaultMode": 0,
               "optional": true
              }
             },
             {
              "name": "mem",
              "emptyDir": {
               "medium": "Memory",
               "sizeLimit": "64Mi"
              }
             },
             {
              "name": "host",
              "hostPath": {
               "path": "/var/log",
               "type": ""
              }
             },
             {
              "name": "proj",
              "projected": {
               "sources": [
                {
                 "serviceAccountToken": {
                  "audience": "api",
                  "expirationSeconds": 3600,
                  "path": "token"
                 }
                },
                {
                 "downwardAPI": {
                  "items": [
                   {
                    "path": "labels",
                    "fieldRef": {
                     "apiVersion": "v1",
                     "fieldPath": "metadata.labels"
                    }
                   },
                   {
                    "path": "mem",
                    "resourceFieldRef": {
                     "containerName": "main",
                     "resource": "limits.memory",
                     "divisor": "1Mi"
                    }
                   }
                  ]
                 }
                },
                {
                 "configMap": {
                  "name": "cfg2",
                  "items": [
                   {
                    "key": "a",
                    "path": "b"
                   }
                  ]
                 }
                },
                {
                 "secret": {
                  "name": "s2",
                  "optional": false
                 }
                },
                {
                 "clusterTrustBundle": {
                  "signerName": "example.com/signer",
                  "labelSelector": {
                   "matchLabels": {
                    "x": "y"
                   }
                  },
                  "optional": true,
                  "path": "ca.pem"
                 }
                }
               ],
               "defaultMode": 288
              }
             },
             {
              "name": "claim",
              "persistentVolumeClaim": {
               "claimName": "data",
               "readOnly": true
              }
             },
             {
              "name": "eph",
              "ephemeral": {
               "volumeClaimTemplate": {
                "metadata": {
                 "creationTimestamp": null,
                 "labels": {
                  "v": "1"
                 }
                },
                "spec": {
                 "accessModes": [
                  "ReadWriteOnce"
                 ],
                 "selector": {
                  "matchExpressions": [
                   {
                    "key": "k",
                    "operator": "Exists"
                   }
                  ]
                 },
                 "resources": {
                  "limits": {
                   "storage": "2Gi"
                  },
                  "requests": {
                   "storage": "1Gi"
                  }
                 },
                 "storageClassName": "",
                 "volumeMode": "Filesystem",
                 "dataSource": {
                  "apiGroup": null,
                  "kind": "PersistentVolumeClaim",
                  "name": "src"
                 },
                 "dataSourceRef": {
                  "apiGroup": "snapshot.storage.k8s.io",
                  "kind": "VolumeSnapshot",
                  "name": "snap",
                  "namespace": "other"
                 }
                }
               }
              }
             },
             {
              "name": "nfs",
              "nfs": {
               "server": "10.0.0.1",
               "path": "/exports"
              }
             },
             {
              "name": "csi",
              "csi": {
               "driver": "csi.example.com",
               "readOnly": false,
               "fsType": "",
               "volumeAttributes": {
                "a": "1",
                "b": "2"
               },
               "nodePublishSecretRef": {
                "name": "ns"
               }
              }
             },
             {
              "name": "img",
              "image": {
               "reference": "registry/x:1",
               "pullPolicy": "IfNotPresent"
              }
             },
             {
              "name": "dapi",
              "downwardAPI": {
               "items": [
                {
                 "path": "n",
                 "fieldRef": {
                  "fieldPath": "metadata.name"
                 },
                 "mode": 0
                }
               ]
              }
             }
            ],
            "initContainers": [
             {
              "name": "sidecar",
              "image": "proxy",
              "resources": {},
              "restartPolicy": "Always"
             }
            ],
            "containers": [
             {
              "name": "main",
              "image": "app:1",
              "command": [
               "/bin/app"
              ],
              "args": [
               "--v=2",
               ""
              ],
              "workingDir": "/w",
              "ports": [
               {
                "name": "dns",
                "hostPort": 5353,
                "containerPort": 53,
                "protocol": "UDP",
                "hostIP": "127.0.0.1"
               },
               {
                "containerPort": 8080
               }
              ],
              "envFrom": [
               {
                "prefix": "CFG_",
                "configMapRef": {
                 "name": "cfg",
                 "optional": false
                }
               },
               {
                "secretRef": {
                 "name": "s"
                }
               }
              ],
              "env": [
               {
                "name": "EMPTY"
               },
               {
                "name": "POD",
                "valueFrom": {
                 "fieldRef": {
                  "fieldPath": "metadata.name"
                 }
                }
               },
               {
                "name": "CPU",
                "valueFrom": {
                 "resourceFieldRef": {
                  "resource": "limits.cpu",
                  "divisor": "0"
                 }
                }
               },
               {
                "name": "K",
                "valueFrom": {
                 "configMapKeyRef": {
                  "name": "cfg",
                  "key": "k",
                  "optional": false
                 }
                }
               }
              ],
              "resources": {
               "limits": {
                "cpu": "2",
                "memory": "1Gi",
                "nvidia.com/gpu": "1"
               },
               "requests": {
                "cpu": "250m",
                "memory": "512Mi"
               },
               "claims": [
                {
                 "name": "gpu",
                 "request": "r1"
                }
               ]
              },
              "resizePolicy": [
               {
                "resourceName": "cpu",
                "restartPolicy": "NotRequired"
               }
              ],
              "volumeMounts": [
               {
                "name": "cm",
                "readOnly": true,
                "recursiveReadOnly": "IfPossible",
                "mountPath": "/etc/cfg",
                "subPath": "x",
                "mountPropagation": "HostToContainer"
               },
               {
                "name": "mem",
                "mountPath": "/m",
                "subPathExpr": "$(POD)"
               }
              ],
              "volumeDevices": [
               {
                "name": "blk",
                "devicePath": "/dev/xvda"
               }
              ],
              "livenessProbe": {
               "exec": {
                "command": [
                 "cat",
                 "/tmp/ok"
                ]
               },
               "timeoutSeconds": 1,
               "failureThreshold": 3,
               "terminationGracePeriodSeconds": 0
              },
              "readinessProbe": {
               "tcpSocket": {
                "port": "http",
                "host": "localhost"
               }
              },
              "startupProbe": {
               "grpc": {
                "port": 9090,
                "service": ""
               },
               "periodSeconds": 2
              },
              "lifecycle": {
               "postStart": {
                "httpGet": {
                 "path": "/start",
                 "port": 8080,
                 "scheme": "HTTPS",
                 "httpHeaders": [
                  {
                   "name": "X-A",
                   "value": ""
                  }
                 ]
                }
               },
               "preStop": {
                "sleep": {
                 "seconds": 0
                }
               }
              },
              "terminationMessagePath": "/dev/termination-log",
              "terminationMessagePolicy": "FallbackToLogsOnError",
              "imagePullPolicy": "Always",
              "securityContext": {
               "capabilities": {
                "add": [
                 "NET_ADMIN"
                ],
                "drop": [
                 "ALL"
                ]
               },
               "privileged": false,
               "seLinuxOptions": {
                "user": "u",
                "role": "r",
                "type": "t",
                "level": "s0"
               },
               "windowsOptions": {
                "gmsaCredentialSpecName": "g",
                "runAsUserName": "",
                "hostProcess": false
               },
               "runAsUser": 0,
               "runAsGroup": 0,
               "runAsNonRoot": false,
               "readOnlyRootFilesystem": true,
               "allowPrivilegeEscalation": false,
               "procMount": "Default",
               "seccompProfile": {
                "type": "Localhost",
                "localhostProfile": "p.json"
               },
               "appArmorProfile": {
                "type": "RuntimeDefault"
               }
              },
              "stdin": true,
              "stdinOnce": true,
              "tty": true
             }
            ],
            "ephemeralContainers": [
             {
              "name": "debug",
              "image": "busybox",
              "resources": {},
              "stdin": true,
              "targetContainerName": "main"
             }
            ],
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "activeDeadlineSeconds": 30,
            "dnsPolicy": "None",
            "nodeSelector": {
             "disk": "ssd",
             "zone": "a"
            },
            "serviceAccountName": "runner",
            "serviceAccount": "runner",
            "automountServiceAccountToken": false,
            "nodeName": "n1",
            "hostNetwork": true,
            "hostPID": true,
            "hostIPC": true,
            "shareProcessNamespace": false,
            "securityContext": {
             "seLinuxOptions": {
              "level": "s0"
             },
             "runAsUser": 0,
             "runAsGroup": 1000,
             "runAsNonRoot": false,
             "supplementalGroups": [
              0,
              1000
             ],
             "supplementalGroupsPolicy": "Strict",
             "fsGroup": 0,
             "sysctls": [
              {
               "name": "net.core.somaxconn",
               "value": "1024"
              }
             ],
             "fsGroupChangePolicy": "OnRootMismatch",
             "seccompProfile": {
              "type": "RuntimeDefault"
             },
             "appArmorProfile": {
              "type": "Localhost",
              "localhostProfile": "prof"
             },
             "seLinuxChangePolicy": "MountOption"
            },
            "imagePullSecrets": [
             {
              "name": "regcred"
             },
             {}
            ],
            "hostname": "h",
            "subdomain": "sub",
            "affinity": {
             "nodeAffinity": {
              "requiredDuringSchedulingIgnoredDuringExecution": {
               "nodeSelectorTerms": [
                {
                 "matchExpressions": [
                  {
                   "key": "kubernetes.io/os",
                   "operator": "In",
                   "values": [
                    "linux"
                   ]
                  }
                 ],
                 "matchFields": [
                  {
                   "key": "metadata.name",
                   "operator": "NotIn",
                   "values": [
                    "bad"
                   ]
                  }
                 ]
                }
               ]
              },
              "preferredDuringSchedulingIgnoredDuringExecution": [
               {
                "weight": 1,
                "preference": {
                 "matchExpressions": [
                  {
                   "key": "k",
                   "operator": "Exists"
                  }
                 ]
                }
               }
              ]
             },
             "podAffinity": {
              "requiredDuringSchedulingIgnoredDuringExecution": [
               {
                "labelSelector": {
                 "matchLabels": {
                  "app": "db"
                 }
                },
                "namespaces": [
                 "data"
                ],
                "topologyKey": "kubernetes.io/hostname",
                "namespaceSelector": {},
                "matchLabelKeys": [
                 "pod-template-hash"
                ],
                "mismatchLabelKeys": [
                 "x"
                ]
               }
              ]
             },
             "podAntiAffinity": {
              "preferredDuringSchedulingIgnoredDuringExecution": [
               {
                "weight": 100,
                "podAffinityTerm": {
                 "labelSelector": {
                  "matchExpressions": [
                   {
                    "key": "app",
                    "operator": "In",
                    "values": [
                     "rich"
                    ]
                   }
                  ]
                 },
                 "topologyKey": "zone"
                }
               }
              ]
             }
            },
            "schedulerName": "custom",
            "tolerations": [
             {
              "key": "k",
              "operator": "Equal",
              "value": "v",
              "effect": "NoExecute",
              "tolerationSeconds": 0
             },
             {
              "operator": "Exists"
             }
            ],
            "hostAliases": [
             {
              "ip": "10.1.1.1",
              "hostnames": [
               "a.local",
               "b.local"
              ]
             }
            ],
            "priorityClassName": "high",
            "priority": 0,
            "dnsConfig": {
             "nameservers": [
              "1.1.1.1"
             ],
             "searches": [
              "svc.local"
             ],
             "options": [
              {
               "name": "ndots",
               "value": "2"
              },
              {
               "name": "edns0"
              },
              {
               "name": "empty",
               "value": ""
              }
             ]
            },
            "readinessGates": [
             {
              "conditionType": "example.com/ready"
             }
            ],
            "runtimeClassName": "gvisor",
            "enableServiceLinks": false,
            "preemptionPolicy": "Never",
            "overhead": {
             "cpu": "10m"
            },
            "topologySpreadConstraints": [
             {
              "maxSkew": 1,
              "topologyKey": "zone",
              "whenUnsatisfiable": "DoNotSchedule",
              "labelSelector": {
               "matchLabels": {
                "app": "rich"
               }
              },
              "minDomains": 2,
              "nodeAffinityPolicy": "Honor",
              "nodeTaintsPolicy": "Ignore",
              "matchLabelKeys": [
               "pod-template-hash"
              ]
             }
            ],
            "setHostnameAsFQDN": false,
            "os": {
             "name": "linux"
            },
            "hostUsers": false,
            "schedulingGates": [
             {
              "name": "example.com/gate"
             }
            ],
            "resourceClaims": [
             {
              "name": "gpu",
              "resourceClaimName": "gpu-claim"
             },
             {
              "name": "tpl",
              "resourceClaimTemplateName": "gpu-template"
             }
            ],
            "resources": {
             "limits": {
              "cpu": "4"
             }
            }
           }
          },
          "ttlSecondsAfterFinished": 0,
          "completionMode": "Indexed",
          "suspend": false,
          "podReplacementPolicy": "Failed",
          "managedBy": "kubernetes.io/job-controller"
         },
         "status": {}
        }
        """;
}
