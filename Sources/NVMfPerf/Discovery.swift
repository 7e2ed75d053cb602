import NVMe
import NVMfHost

/// Reading a discovery controller's log: `nvmf-perf discover` and `-r` without subnqn.
public enum Discovery {
    /// Connects to the discovery controller at `transportID`, reads log page 70h, shuts down.
    public static func entries(_ transportID: TransportID, identity: HostIdentity) throws(HostError)
        -> [DiscoveryLogEntry]
    {
        var discovery = transportID
        discovery.subsystemNQN = TransportID.discoveryNQN
        let session = try HostSession(discovery, identity: identity, keepAliveTimeoutMilliseconds: 0)
        defer { try? session.close() }
        return try session.controller.discoveryLog()
    }

    /// The entries as `nvme discover` prints them.
    public static func describe(_ entries: [DiscoveryLogEntry]) -> String {
        var text = "Discovery Log Number of Records \(entries.count)\n"
        for (index, entry) in entries.enumerated() {
            let transport =
                entry.transportType == 1 ? "rdma" : entry.transportType == 3 ? "tcp" : "\(entry.transportType)"
            let family =
                entry.addressFamily == 1 ? "ipv4" : entry.addressFamily == 2 ? "ipv6" : "\(entry.addressFamily)"
            let subtype =
                entry.subsystemType == 2
                ? "nvme subsystem"
                : entry.subsystemType == 3
                    ? "current discovery subsystem"
                    : "\(entry.subsystemType)"
            text += "=====Discovery Log Entry \(index)======\n"
            text += "trtype:  \(transport)\nadrfam:  \(family)\nsubtype: \(subtype)\n"
            text += "portid:  \(entry.portID)\ntrsvcid: \(entry.transportServiceID)\n"
            text += "subnqn:  \(entry.subsystemNQN)\ntraddr:  \(entry.transportAddress)\n"
        }
        return text
    }
}
