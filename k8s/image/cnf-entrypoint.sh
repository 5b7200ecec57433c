#!/bin/sh
# The container's cnf: same CLI as ./cnf, without the build step.
exec java -Dai.djl.offline=true -Djava.awt.headless=true ${CNF_JAVA_OPTS:-} \
  -cp "/app/cnf-workers.jar:$(cat /app/classpath.txt)" dev.cnf.workers.cli.CnfCli "$@"
