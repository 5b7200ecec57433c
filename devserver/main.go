// Command cnf-temporal runs a single-process Temporal server with the Temporal Web UI, for `./cnf demo` and small teams:
// the real server from go.temporal.io/server (the same services a cluster runs: frontend, history, matching, worker),
// persisted in one SQLite file, and the Web UI from github.com/temporalio/ui-server. It is built the way the Temporal
// CLI's `temporal server start-dev` builds its server, with our own flags and a line on stdout once it serves.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

const clusterName = "active"

type options struct {
	ip        string
	port      int
	uiPort    int // 0: no Web UI
	dbFile    string
	namespace string
	logFile   string
	logLevel  string
	// exitWithStdin: stop when stdin closes, i.e. when the process that started this one dies, however it died
	exitWithStdin bool
}

func main() {
	var o options
	flag.StringVar(&o.ip, "ip", "127.0.0.1", "address the frontend (gRPC) and the Web UI bind to")
	flag.IntVar(&o.port, "port", 7233, "frontend gRPC port")
	flag.IntVar(&o.uiPort, "ui-port", 8233, "Web UI port; 0 runs no UI")
	flag.StringVar(&o.dbFile, "db-filename", "", "SQLite file that keeps the server's state (required: workflows outlive the process)")
	flag.StringVar(&o.namespace, "namespace", "default", "namespace to create")
	flag.StringVar(&o.logFile, "log-file", "", "server log file (default: stderr)")
	flag.StringVar(&o.logLevel, "log-level", "warn", "server log level: debug, info, warn, error")
	flag.BoolVar(&o.exitWithStdin, "exit-with-stdin", false, "stop when stdin reaches its end (the parent process died or closed it)")
	flag.Parse()
	if problems := o.problems(); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "cnf-temporal:", p)
		}
		os.Exit(2)
	}
	stop, err := start(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cnf-temporal: cannot start:", err)
		os.Exit(1)
	}
	// The line callers wait for: both addresses, once the frontend accepts connections.
	ui := "none"
	if o.uiPort > 0 {
		ui = fmt.Sprintf("http://%s:%d", o.ip, o.uiPort)
	}
	fmt.Printf("cnf-temporal ready grpc=%s:%d ui=%s db=%s\n", o.ip, o.port, ui, o.dbFile)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	if o.exitWithStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			signals <- syscall.SIGTERM
		}()
	}
	<-signals
	stop()
}

func (o options) problems() []string {
	var p []string
	if net.ParseIP(o.ip) == nil {
		p = append(p, fmt.Sprintf("--ip %q is not an IP address", o.ip))
	}
	if o.port < 1 || o.port > 65535 {
		p = append(p, fmt.Sprintf("--port %d: must be in [1, 65535]", o.port))
	}
	if o.uiPort < 0 || o.uiPort > 65535 || (o.uiPort != 0 && o.uiPort == o.port) {
		p = append(p, fmt.Sprintf("--ui-port %d: must be in [0, 65535] and differ from --port", o.uiPort))
	}
	if o.dbFile == "" {
		p = append(p, "--db-filename is required: the SQLite file that keeps the server's state")
	} else if info, err := os.Stat(filepath.Dir(o.dbFile)); err != nil || !info.IsDir() {
		p = append(p, fmt.Sprintf("--db-filename %s: its folder does not exist", o.dbFile))
	}
	return p
}

// start runs the server and, unless disabled, the UI; the returned function stops both.
func start(o options) (func(), error) {
	logger := log.NewZapLogger(log.BuildZapLogger(log.Config{Level: o.logLevel, Format: "json", OutputFile: o.logFile}))
	conf, err := serverConfig(o)
	if err != nil {
		return nil, err
	}
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("claim mapper: %w", err)
	}
	server, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
	)
	if err != nil {
		return nil, err
	}
	if err := server.Start(); err != nil {
		return nil, err
	}
	var ui *uiserver.Server
	if o.uiPort > 0 {
		ui = uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
			Host:                o.ip,
			Port:                o.uiPort,
			TemporalGRPCAddress: fmt.Sprintf("%s:%d", o.ip, o.port),
			EnableUI:            true,
			CORS:                uiconfig.CORS{CookieInsecure: true},
			HideLogs:            true,
			DisableNewsFetch:    true, // nothing beyond this machine is reached
		}))
		go func() {
			// Start blocks while the UI serves; a UI that cannot start is fatal, the caller sees the exit.
			if err := ui.Start(); err != nil {
				fmt.Fprintln(os.Stderr, "cnf-temporal: the Web UI stopped:", err)
				os.Exit(1)
			}
		}()
		if err := waitForPort(o.ip, o.uiPort, 30*time.Second); err != nil {
			return nil, fmt.Errorf("the Web UI: %w", err)
		}
	}
	return func() {
		if ui != nil {
			ui.Stop()
		}
		_ = server.Stop()
	}, nil
}

func serverConfig(o options) (*config.Config, error) {
	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = "127.0.0.1"
	conf.Persistence.DefaultStore = "sqlite"
	conf.Persistence.VisibilityStore = "sqlite"
	conf.Persistence.NumHistoryShards = 1
	sql, err := sqlConfig(o)
	if err != nil {
		return nil, err
	}
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sql}}
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{clusterName: {
			Enabled:                true,
			InitialFailoverVersion: 1,
			RPCAddress:             fmt.Sprintf("127.0.0.1:%d", o.port),
			ClusterID:              "6a1f0c2e-3b7d-4e59-8c1a-2f5d9e0b7c34", // any fixed UUID: one cluster per database
		}},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	services := map[string]config.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		var s config.Service
		if name == "frontend" {
			s.RPC.GRPCPort = o.port
			s.RPC.BindOnIP = o.ip
		} else {
			port, err := freePort()
			if err != nil {
				return nil, err
			}
			s.RPC.GRPCPort = port
			s.RPC.BindOnLocalHost = true
		}
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s.RPC.MembershipPort = port
		services[name] = s
	}
	conf.Services = services
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = fmt.Sprintf("127.0.0.1:%d", o.port)
	return &conf, nil
}

// sqlConfig points the server at the SQLite file, creating its schema and the namespace the first time.
func sqlConfig(o options) (*config.SQL, error) {
	sql := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		DatabaseName:      o.dbFile,
		ConnectAttributes: map[string]string{"mode": "rwc", "_journal_mode": "wal", "_synchronous": "2"},
	}
	if _, err := os.Stat(o.dbFile); os.IsNotExist(err) {
		if err := sqliteschema.SetupSchema(sql); err != nil {
			return nil, fmt.Errorf("creating the schema in %s: %w", o.dbFile, err)
		}
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, o.namespace, false, nil)
	if err != nil {
		return nil, err
	}
	// a namespace that exists already is left as it is
	if err := sqliteschema.CreateNamespaces(sql, ns); err != nil {
		return nil, fmt.Errorf("creating namespace %s: %w", o.namespace, err)
	}
	return sql, nil
}

// freePort asks the kernel for a port nobody listens on; the service binds it a moment later.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitForPort(ip string, port int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("%s:%d", ip, port), time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s:%d after %s", ip, port, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
