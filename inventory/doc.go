// Package inventory reads the hosts patchflow patches and selects among them.
//
// Two formats are understood. patchflow's own YAML inventory starts with
// `apiVersion: patchflow/v1` and `kind: Inventory` and is decoded strictly:
// an unknown key is an error with its file:line:col and, for a near miss, a
// suggestion. Anything else is read as an Ansible inventory, INI or YAML,
// because most teams already keep one: groups of groups, host ranges such
// as web[01:20].example.com, group and host vars (which become labels) and
// the ansible_* connection variables patchflow needs.
//
// Every error in a file is reported at once (type Errors), each naming the
// file, line and column, the object it belongs to and the problem.
//
// Host names end up in workflow IDs (host/<name>) and in command lines, so
// they are restricted to [A-Za-z0-9._-] without a leading '-'; addresses,
// users and ports are validated as well. Input size, range expansion and
// host count are bounded so that a hostile or broken file yields an error,
// never a panic or an exhausted machine.
package inventory
