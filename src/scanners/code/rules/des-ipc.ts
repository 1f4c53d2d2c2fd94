import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import {
  argumentOf,
  type CallSite,
  type CodeMatch,
  type CodeRule,
  DATA_SINK,
  everyCall,
} from '../call-site.js';
import type { NodeRule } from '../node-site.js';
import { constantOf, qualifiedNames } from '../resolve.js';
import type { Scope } from '../scopes.js';

export const PY_DES_009 = defineRule({
  id: 'PY-DES-009',
  domain: 'code',
  title: 'multiprocessing connection that unpickles what the peer sends',
  description:
    '`Connection.recv()` on a `multiprocessing.connection` `Listener`/`Client` connection unpickles whatever ' +
    'the other end sent, so any process that can connect runs code in the receiver. A `Listener` without ' +
    '`authkey` accepts every process that can reach its address (a TCP port, a Unix socket or a named pipe).',
  fix: 'Give `Listener` and `Client` a secret `authkey=` (e.g. `secrets.token_bytes(32)` shared out of band) so only peers holding the key can connect, and exchange plain data: `conn.send_bytes(json.dumps(msg).encode())` and `json.loads(conn.recv_bytes())`.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
});

const LISTENER = 'multiprocessing.connection.Listener';
const CLIENT = 'multiprocessing.connection.Client';

export const multiprocessingRecvCheck: CodeRule = {
  rule: PY_DES_009,
  calls: [LISTENER, `${LISTENER}().accept().recv`, `${CLIENT}().recv`],
  check(call) {
    if (call.name !== LISTENER)
      return { message: `${call.name} unpickles whatever the peer sends, which can run arbitrary code` };
    // Listener(address=None, family=None, backlog=1, authkey=None): None means no authentication at all.
    const authkey = argumentOf(call, 'authkey', 3);
    if (authkey !== undefined && authkey.constant?.kind !== 'none') return undefined;
    if (authkey === undefined && call.hasUnpacking) return undefined;
    return {
      message: `${call.name} without authkey accepts connections from any process that can reach its address`,
    };
  },
};

export const PY_DES_010 = defineRule({
  id: 'PY-DES-010',
  domain: 'code',
  title: 'torch.distributed object collective',
  description:
    '`torch.distributed` object collectives (`broadcast_object_list`, `all_gather_object`, `gather_object`, ' +
    '`scatter_object_list`, `recv_object_list`) pickle objects on the sender and unpickle them on every ' +
    'receiver. Any process that joins the process group (an exposed `MASTER_ADDR` port, a shared TCP/file ' +
    'store, a compromised worker) can send a payload that runs code on all ranks.',
  fix: 'Exchange tensors (`broadcast`, `all_gather`, `all_gather_into_tensor`) and encode metadata as tensors or `json` bytes in a `uint8` tensor; keep the rendezvous endpoint on a private network.',
  severity: 'medium',
  // Ranks of one training job normally trust each other: the finding matters when the group is reachable.
  confidence: 'low',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
});

const OBJECT_COLLECTIVES = [
  'broadcast_object_list',
  'all_gather_object',
  'gather_object',
  'scatter_object_list',
  'recv_object_list',
];

export const objectCollectiveCheck = everyCall(
  PY_DES_010,
  OBJECT_COLLECTIVES.flatMap((name) => [
    `torch.distributed.${name}`,
    `torch.distributed.distributed_c10d.${name}`,
  ]),
  'unpickles the objects other ranks send, which can run arbitrary code',
);

export const PY_DES_011 = defineRule({
  id: 'PY-DES-011',
  domain: 'code',
  title: 'msgpack with msgpack_numpy decoding',
  description:
    '`msgpack_numpy` decodes numpy arrays of object dtype with `pickle.loads`, so `msgpack_numpy.unpackb`, ' +
    '`msgpack.unpackb(..., object_hook=msgpack_numpy.decode)` and every msgpack call after ' +
    '`msgpack_numpy.patch()` run code named by a crafted message, although msgpack alone only builds plain data.',
  fix: 'Send arrays as raw buffers with their dtype and shape (`{"dtype": a.dtype.str, "shape": a.shape, "data": a.tobytes()}` decoded with `numpy.frombuffer` for non-object dtypes) and use plain `msgpack.unpackb` without msgpack_numpy hooks; or use safetensors for tensors.',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: ['ML06:2023'],
});

const MSGPACK_DECODERS = ['unpackb', 'unpack', 'loads', 'load', 'Unpacker'];

export const msgpackNumpyCheck: CodeRule = {
  rule: PY_DES_011,
  calls: [
    'msgpack_numpy.patch',
    ...MSGPACK_DECODERS.map((name) => `msgpack_numpy.${name}`),
    ...MSGPACK_DECODERS.map((name) => `msgpack.${name}`),
  ],
  sink: {
    arguments: (call) => (call.name === 'msgpack_numpy.patch' ? [] : DATA_SINK.arguments(call)),
  },
  check(call) {
    if (call.name === 'msgpack_numpy.patch')
      return {
        message:
          'msgpack_numpy.patch() makes every msgpack decoder unpickle object arrays, which can run arbitrary code',
      };
    if (call.name.startsWith('msgpack_numpy.'))
      return { message: `${call.name} unpickles object arrays in the message, which can run arbitrary code` };
    const hook = call.keywords.get('object_hook');
    if (hook === undefined || !qualifiedNames(hook.node, call.scope).includes('msgpack_numpy.decode'))
      return undefined;
    return {
      message: `${call.name} with object_hook=msgpack_numpy.decode unpickles object arrays, which can run arbitrary code`,
    };
  },
};

export const PY_PYP_009 = defineRule({
  id: 'PY-PYP-009',
  domain: 'code',
  title: 'multiprocessing manager served on a network address',
  description:
    'A `multiprocessing.managers.BaseManager`/`SyncManager` (or a subclass) given an `address` that is not ' +
    'the loopback interface serves its objects over TCP, and the manager protocol pickles every request and ' +
    'reply. Whoever learns or guesses the `authkey` (often a literal such as `b"abracadabra"` from the ' +
    'documentation) runs code in the server, and a server it controls runs code in the clients.',
  fix: 'Bind managers to `("127.0.0.1", port)` and reach them through an SSH tunnel, or replace them with a queue or RPC system that exchanges `json`/protobuf (Redis, gRPC, ZeroMQ with `send_json`); always pass a random `authkey=secrets.token_bytes(32)`.',
  severity: 'low',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-502'],
  owasp: [],
});

const MANAGERS = new Set(['multiprocessing.managers.BaseManager', 'multiprocessing.managers.SyncManager']);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * The finding for a manager built with `address` (first argument or keyword): none when it is absent (an
 * automatic local address) or a loopback host; low confidence when the host is not known statically.
 */
function managerAddress(address: Node | undefined, what: string, scope: Scope): CodeMatch | undefined {
  if (address === undefined) return undefined;
  if (address.type !== 'tuple') {
    // A string address is a Unix socket or a named pipe: local only.
    if (address.type === 'string' || address.type === 'none') return undefined;
    return { message: `${what} on an address not known statically`, confidence: 'low' };
  }
  const host = address.namedChildren[0];
  const name = host === null || host === undefined ? undefined : constantOf(host, scope);
  if (name?.kind !== 'string')
    return { message: `${what} on a host not known statically`, confidence: 'low' };
  if (LOOPBACK.has(name.value)) return undefined;
  return {
    message: `${what} serves pickled objects on ${name.value === '' ? 'every interface' : `host "${name.value}"`}`,
  };
}

function addressArgument(call: CallSite): Node | undefined {
  return argumentOf(call, 'address', 0)?.node;
}

export const managerAddressCheck: CodeRule = {
  rule: PY_PYP_009,
  calls: [...MANAGERS],
  check: (call) => managerAddress(addressArgument(call), call.name, call.scope),
};

/**
 * `class QueueManager(BaseManager): pass` then `QueueManager(address=("", 50000), ...)`: the documented way to
 * use managers, which call resolution cannot see through (a class binding does not resolve). The class is
 * checked once, and the first instantiation in the file that serves on a network address is reported.
 */
export const managerSubclassCheck: NodeRule = {
  rule: PY_PYP_009,
  nodes: ['class_definition'],
  textHint: /manager/,
  check(node, site) {
    const bases = node.childForFieldName('superclasses');
    if (bases === null || !bases.text.includes('Manager')) return undefined;
    const managerBase = bases.namedChildren.find(
      (base) => base !== null && qualifiedNames(base, site.scope).some((name) => MANAGERS.has(name)),
    );
    const className = node.childForFieldName('name')?.text;
    if (managerBase === undefined || managerBase === null || className === undefined) return undefined;
    for (const call of node.tree.rootNode.descendantsOfType('call')) {
      if (call?.childForFieldName('function')?.text !== className) continue;
      const keyword = call
        .childForFieldName('arguments')
        ?.namedChildren.find(
          (argument) =>
            argument?.type === 'keyword_argument' && argument.childForFieldName('name')?.text === 'address',
        );
      const first = call.childForFieldName('arguments')?.namedChildren[0];
      const address =
        keyword?.childForFieldName('value') ?? (first?.type === 'keyword_argument' ? undefined : first);
      const match = managerAddress(
        address ?? undefined,
        `${className} (a ${managerBase.text} subclass)`,
        site.scope,
      );
      if (match !== undefined) return { ...match, node: call };
    }
    return undefined;
  },
};
