"""An environment with every R1 case (versions, SCS), Linux and Windows hosts, trusted stores of each
provider and a Configuration Server with a secured port."""

from types import SimpleNamespace

import pytest

from applications.models import Application, AppType, Host, OperatingSystem, Port
from applications.restart import take_running_snapshot
from security.models import Provider, TrustedStore
from security.stores import store_save

JKS_PASSWORD = "Tr0ub4dor&3-keystore-pass"
WINDOWS_PEM = "C:\\GCTI\\certs\\certificateCA.pem"
WINDOWS_JKS = "C:\\GCTI\\certs\\truststore.jks"


def make_app(name, app_type, version, host, **extra) -> Application:
    app = Application.objects.create(name=name, app_type=app_type, version=version, host=host, **extra)
    take_running_snapshot(app)
    return app


def make_store(name, provider, path, actor, password=None, windows_path="") -> TrustedStore:
    return store_save(store=TrustedStore(name=name, provider=provider, path=path, windows_path=windows_path),
                      certificates=[], password=password, actor=actor)




@pytest.fixture
def env(db, users):
    linux = Host.objects.create(name="cb-linux-01", address="10.0.1.11", os_type=OperatingSystem.LINUX)
    windows = Host.objects.create(name="cb-win-01", address="10.0.2.21", os_type=OperatingSystem.WINDOWS)
    core = Host.objects.create(name="genesys-core-01", address="10.0.0.5", os_type=OperatingSystem.LINUX)
    node_type, cluster_type = AppType.COBROWSE_NODE, AppType.COBROWSE_CLUSTER
    e = SimpleNamespace(linux=linux, windows=windows, core=core, users=users)
    e.server_850 = make_app("CB_Server_850", AppType.COBROWSE_SERVER, "8.5.000.12", linux,
                            working_directory="/opt/genesys/cb_server_850")
    e.server_851 = make_app("CB_Server_851", AppType.COBROWSE_SERVER, "8.5.001.05", linux)
    e.cluster_851 = make_app("CB_Cluster_851", cluster_type, "8.5.001.05", linux)
    e.node_851 = make_app("CB_Node_851", node_type, "8.5.001.05", linux, cluster=e.cluster_851)
    e.cluster = make_app("CB_Cluster", cluster_type, "8.5.003.04", linux)
    e.node_a = make_app("CB_Node_A", node_type, "8.5.003.04", linux, cluster=e.cluster)
    e.node_b = make_app("CB_Node_B", node_type, "8.5.003.04", linux, cluster=e.cluster)
    e.node_win = make_app("CB_Node_Win", node_type, "8.5.003.04", windows, cluster=e.cluster,
                          service_account="Local System", working_directory="C:\\GCTI\\CB_Node_Win")
    e.cluster_scs = make_app("CB_Cluster_SCS", cluster_type, "8.5.003.04", linux, scs_controlled=True)
    e.node_scs = make_app("CB_Node_SCS", node_type, "8.5.003.04", linux, cluster=e.cluster_scs)
    e.cluster_win = make_app("CB_Cluster_Win", cluster_type, "8.5.003.04", windows)
    e.node_win_1 = make_app("CB_Node_Win_1", node_type, "8.5.003.04", windows, cluster=e.cluster_win)
    e.node_win_2 = make_app("CB_Node_Win_2", node_type, "8.5.003.04", windows, cluster=e.cluster_win)
    e.config_server = make_app("ConfigServer", AppType.CONFIG_SERVER, "8.5.100.07", core)
    Port.objects.create(application=e.config_server, port_id="default", number=2020)
    e.cs_secure = Port.objects.create(application=e.config_server, port_id="secure", number=2021, secured=True)
    officer = users["security"]
    # Each store has a path on each operating system, but "Linux only", which has no Windows path.
    e.pem = make_store("Genesys CA (PEM)", Provider.PEM, "/opt/genesys/certs/certificateCA.pem", officer,
                       windows_path=WINDOWS_PEM)
    e.pem_other = make_store("Other CA (PEM)", Provider.PEM, "/opt/genesys/certs/other.pem", officer,
                             windows_path="C:\\GCTI\\certs\\other.pem")
    e.pem_linux_only = make_store("Linux only (PEM)", Provider.PEM, "/opt/genesys/certs/linux-only.pem", officer)
    e.jks = make_store("Genesys CA (JKS)", Provider.JKS, "/opt/genesys/certs/truststore.jks", officer,
                       password=JKS_PASSWORD, windows_path=WINDOWS_JKS)
    e.jks_nopass = make_store("No password (JKS)", Provider.JKS, "/opt/genesys/certs/nopass.jks", officer)
    e.mscapi = make_store("Genesys CA (MSCAPI)", Provider.MSCAPI, "", officer)
    return e


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the block's on-commit work (the restart-tracking tasks, eager here)."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
