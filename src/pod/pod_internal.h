/* pod_internal.h - what pod.c (runtime and pod) and container.c (one container's state
 * machine) share.  Not for users of the module: see pod.h. */
#ifndef CAIRN_POD_POD_INTERNAL_H
#define CAIRN_POD_POD_INTERNAL_H

#include "cni.h"
#include "pod.h"
#include "podnet.h"
#include "runc.h"

struct container;

struct pod_runtime {
	struct loop *l;
	char *store_dir, *pods_dir, *net_dir, *scree_path, *prefix;
	struct image_store *images;
	struct podnet net;
	struct runc runc;
	struct pod *pods;           /* attached pod handles */
	struct podnet_req *net_req; /* pod_runtime_remove_network in flight */
	void (*net_cb)(void *data, int status, const char *msg);
	void *net_data;
};

enum pod_state {
	POD_ATTACHING,   /* namespace and CNI ADD in flight */
	POD_UP,          /* network up; containers run their own machines */
	POD_NET_FAILED,  /* the network could not be set up; waiting for removal */
	POD_STOPPING,    /* removal: waiting for every container to be removed */
	POD_DETACHING,   /* removal: CNI DEL and namespace deletion in flight */
	POD_GONE,        /* removed */
	_POD_STATE_MAX,
};

struct pod {
	struct pod_runtime *rt;
	struct pod *next;
	char *id, *dir, *hostname;
	char *run_dir;                 /* <store>/pods/<id> */
	char *netns_name, *netns_path;
	char *net_result;              /* <run_dir>/net.json */
	char *hosts_path, *hostname_path;
	char address[CNI_ADDR_MAX];
	enum pod_state state;
	struct podnet_req *net_req;
	struct loop_timer *timer;      /* carries a start failure found before any child ran */
	struct container **ctrs;
	size_t n_ctrs;
	void (*event)(void *data, struct pod *p, const struct pod_event *ev);
	void *data;
	int remove_status;
	char remove_msg[ERRBUF_SIZE];
	bool remove_requested;
};

/* ---- pod.c, for containers ---- */

/* Delivers an event to the pod's owner. */
void pod_emit(struct pod *p, const struct pod_event *ev);
/* A container finished its removal (it may have recorded a cleanup error in the pod). */
void pod_container_gone(struct pod *p, struct container *c);
/* Records the first cleanup failure of a removal. */
void pod_note_remove_error(struct pod *p, int status, const char *msg);

/* ---- container.c ---- */

/* Creates the container's handle (copies s).  index: position in name order. */
struct container *container_new(struct pod *p, const struct pod_container_spec *s, size_t index,
				struct errbuf *eb);
/* Creates the container's volume directory (after every check passed).  0 or -errno. */
int container_make_volume(struct container *c, struct errbuf *eb);
/* Starts the machine once the pod's network is up: adopts a running container or starts one. */
void container_begin(struct container *c);
/* Restart (optionally with another image); see pod_container_restart. */
int container_restart(struct container *c, const char *image, struct errbuf *eb);
/* Stops and removes it; pod_container_gone() follows (never from inside this call). */
void container_remove(struct container *c);
/* Frees the handle, abandoning pending steps (the container itself is left as it is). */
void container_free(struct container *c);
const char *container_name(const struct container *c);
const char *container_runc_id(const struct container *c);
pid_t container_pid(const struct container *c);
bool container_is_gone(const struct container *c);

#endif
