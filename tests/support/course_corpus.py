"""A course corpus made by code for measuring passage selection: a 40-page PDF of algorithm notes (fpdf2) and
a 12-slide deck on graphs (python-pptx), each page or slide on its own topic, with a student's question per
topic whose right page or slide is known (and a phrase of it that a context holding the right passage holds).

Questions are worded as a student would say them, not copied from the page: the measure is whether the right
passage reaches the avatar's context, not whether a phrase can be found.
"""

# ruff: noqa: E501  (a table of texts: one topic a line reads best)
from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    title: str
    body: str
    key: str  # a phrase of `body`: a context holding the right passage holds it
    question: str


NOTES = "algorithms-notes.pdf"
DECK = "graphs-lecture.pptx"

PAGES: tuple[Topic, ...] = (
    Topic(
        "Asymptotic notation",
        "Big-O gives an upper bound on growth. Big-Omega gives a lower bound, and Big-Theta holds when both bounds match up to constant factors, so 3n^2 + 5n is Theta of n squared.",
        "Big-Theta holds when both bounds match",
        "what is the difference between big O and big theta, when is something theta",
    ),
    Topic(
        "Recurrences and the master theorem",
        "A divide and conquer recurrence T(n) = a T(n/b) + f(n) is solved by comparing f(n) with n to the power log base b of a. When f is polynomially smaller, the leaves dominate the total work.",
        "comparing f(n) with n to the power log base b of a",
        "how do I solve T(n) = 2T(n/2) + n with the master theorem",
    ),
    Topic(
        "Insertion sort",
        "Insertion sort grows a sorted prefix, shifting each new element left until it fits. It runs in linear time on nearly sorted input and is stable and in place, which is why library sorts use it for tiny subarrays.",
        "linear time on nearly sorted input",
        "why would anyone use insertion sort if it is quadratic",
    ),
    Topic(
        "Merge sort",
        "Merge sort splits the array in halves, sorts each recursively and merges the two sorted halves with a linear scan. It always takes n log n comparisons but needs an auxiliary buffer of linear size.",
        "needs an auxiliary buffer of linear size",
        "does merge sort need extra memory",
    ),
    Topic(
        "Quicksort and pivots",
        "Quicksort partitions around a pivot and recurses on both sides. A fixed first-element pivot degrades to quadratic time on already sorted input; a random pivot gives expected n log n on every input.",
        "degrades to quadratic time on already sorted input",
        "why is my quicksort so slow when the array is already in order",
    ),
    Topic(
        "Heaps and heapsort",
        "A binary max-heap stores the largest key at the root and keeps every parent at least as large as its children. Building a heap bottom-up with sift-down takes linear time, not n log n.",
        "Building a heap bottom-up with sift-down takes linear time",
        "how long does it take to build a heap from an unsorted array",
    ),
    Topic(
        "Lower bound for comparison sorting",
        "Any comparison sort is a decision tree with at least n factorial leaves, so its height, the worst-case number of comparisons, is at least log of n factorial, which is Omega of n log n.",
        "decision tree with at least n factorial leaves",
        "can a sorting algorithm that compares elements ever beat n log n",
    ),
    Topic(
        "Counting sort and radix sort",
        "Counting sort tallies how often each key occurs and places keys by prefix sums; it is linear when keys are small integers. Radix sort applies a stable counting sort digit by digit from the least significant digit.",
        "from the least significant digit",
        "how does radix sort work, which digit do I start with",
    ),
    Topic(
        "Binary search",
        "Binary search halves a sorted range each step by comparing with the middle element. The classic bug is computing the midpoint as (lo + hi) / 2, which overflows for large indices; use lo + (hi - lo) / 2.",
        "which overflows for large indices",
        "my binary search crashes on huge arrays, is the middle calculation wrong",
    ),
    Topic(
        "Selection in linear time",
        "Quickselect finds the k-th smallest element in expected linear time. The median of medians picks groups of five, and its pivot guarantees worst-case linear time for selection.",
        "groups of five",
        "how can you find the median without sorting everything",
    ),
    Topic(
        "Stacks and queues",
        "A stack is last in, first out and a queue is first in, first out. A queue built from two stacks gives amortized constant time per operation by reversing the inbox stack only when the outbox is empty.",
        "A queue built from two stacks",
        "can you make a queue using only stacks",
    ),
    Topic(
        "Linked lists",
        "A singly linked list inserts after a known node in constant time but needs linear time to reach the i-th element. Floyd's tortoise and hare detects a cycle with two pointers moving at different speeds.",
        "Floyd's tortoise and hare detects a cycle",
        "how do I know if my linked list loops back on itself",
    ),
    Topic(
        "Hash tables and chaining",
        "A hash table with chaining keeps a list per bucket. With simple uniform hashing and load factor alpha, a search takes expected time proportional to one plus alpha, so the table is resized when alpha passes a threshold.",
        "proportional to one plus alpha",
        "why does a hash table get slower as it fills up",
    ),
    Topic(
        "Open addressing",
        "Open addressing stores keys in the table itself and probes on collision. Linear probing suffers primary clustering, long runs of occupied slots; double hashing uses a second hash function for the step size.",
        "Linear probing suffers primary clustering",
        "what is clustering in linear probing",
    ),
    Topic(
        "Amortized analysis",
        "The aggregate, accounting and potential methods bound the average cost per operation over a worst-case sequence. Doubling a dynamic array when full makes appends cost amortized constant time.",
        "Doubling a dynamic array when full",
        "why is appending to a python list constant time if it sometimes copies everything",
    ),
    Topic(
        "Binary search trees",
        "In a binary search tree every key in the left subtree is smaller than the node and every key in the right subtree larger. An in-order traversal lists the keys in sorted order; deleting a node with two children replaces it by its successor.",
        "replaces it by its successor",
        "how do you delete a node that has two children from a BST",
    ),
    Topic(
        "AVL trees",
        "An AVL tree keeps the heights of the two subtrees of every node within one of each other. After an insertion, at most one single or double rotation restores the balance, so the height stays logarithmic.",
        "at most one single or double rotation restores the balance",
        "how many rotations does an AVL insert need",
    ),
    Topic(
        "Red-black trees",
        "A red-black tree colours nodes so that no red node has a red child and every root-to-leaf path has the same number of black nodes. Its height is at most twice the logarithm of n plus one.",
        "no red node has a red child",
        "what are the rules that a red black tree must keep",
    ),
    Topic(
        "B-trees",
        "A B-tree of minimum degree t keeps between t - 1 and 2t - 1 keys per node, so nodes fill a disk block. Databases and file systems use B-trees because each level costs one disk read.",
        "each level costs one disk read",
        "why do databases use b trees instead of binary trees",
    ),
    Topic(
        "Tries",
        "A trie stores strings along paths from the root, one character per edge, so lookup costs the length of the word, independent of how many words are stored. Tries support prefix queries such as autocomplete.",
        "independent of how many words are stored",
        "what data structure is good for autocomplete suggestions",
    ),
    Topic(
        "Union-find",
        "The disjoint-set forest with union by rank and path compression runs a sequence of m operations in O(m alpha(n)), where alpha is the inverse Ackermann function, at most four for any practical n.",
        "inverse Ackermann function",
        "how fast is union find with path compression",
    ),
    Topic(
        "Dynamic programming principles",
        "Dynamic programming applies when a problem has optimal substructure and overlapping subproblems. Memoization caches results top-down; tabulation fills a table bottom-up in an order where dependencies come first.",
        "optimal substructure and overlapping subproblems",
        "how do I know when a problem can be solved with dynamic programming",
    ),
    Topic(
        "Longest common subsequence",
        "The longest common subsequence table has entry (i, j) equal to the diagonal entry plus one when the characters match, and otherwise the larger of the entries above and to the left.",
        "the diagonal entry plus one when the characters match",
        "what is the recurrence for the LCS table when the letters are equal",
    ),
    Topic(
        "Knapsack",
        "The 0/1 knapsack table over items and capacities runs in O(nW) time, which is pseudo-polynomial: polynomial in the numeric value of the capacity W but exponential in the number of bits needed to write it.",
        "pseudo-polynomial",
        "is the knapsack dynamic program polynomial time or not",
    ),
    Topic(
        "Edit distance",
        "Edit distance counts the fewest insertions, deletions and substitutions turning one string into another. Spell checkers rank suggestions by it, and the table is filled row by row using only the previous row.",
        "fewest insertions, deletions and substitutions",
        "how do spell checkers decide which word I meant",
    ),
    Topic(
        "Greedy algorithms and exchange arguments",
        "A greedy algorithm commits to the locally best choice. Correctness is usually shown by an exchange argument: any optimal solution can be transformed step by step into the greedy one without getting worse.",
        "an exchange argument",
        "how do you prove a greedy algorithm gives the best answer",
    ),
    Topic(
        "Interval scheduling",
        "To schedule the largest number of non-overlapping activities, repeatedly choose the activity that finishes earliest among those compatible with the ones already chosen.",
        "finishes earliest",
        "which meeting should I pick first to fit as many meetings as possible in a room",
    ),
    Topic(
        "Huffman coding",
        "Huffman coding merges the two least frequent symbols repeatedly into a tree, producing a prefix-free code whose expected length is optimal among symbol-by-symbol codes.",
        "merges the two least frequent symbols",
        "how do you build the tree for a huffman code",
    ),
    Topic(
        "NP-completeness",
        "A problem is NP-complete when it is in NP and every problem in NP reduces to it in polynomial time. A reduction goes from a known NP-complete problem to the new one, never the other way round.",
        "never the other way round",
        "which direction should my reduction go to show a problem is np complete",
    ),
    Topic(
        "Approximation algorithms",
        "For metric travelling salesman, doubling a minimum spanning tree and shortcutting repeated cities gives a tour at most twice the optimum; Christofides improves the ratio to one and a half.",
        "Christofides improves the ratio",
        "is there a fast way to get a tour that is close to the best for the travelling salesman",
    ),
    Topic(
        "String matching with KMP",
        "Knuth-Morris-Pratt precomputes a failure function, the longest proper prefix of the pattern that is also a suffix, so the text pointer never moves backwards and matching is linear.",
        "the text pointer never moves backwards",
        "why is KMP faster than checking every position naively",
    ),
    Topic(
        "Rabin-Karp",
        "Rabin-Karp compares a rolling hash of each window of the text with the hash of the pattern and checks characters only on a hash match, which makes it suited to searching many patterns at once.",
        "rolling hash",
        "how can I update the hash of a sliding window quickly",
    ),
    Topic(
        "Randomized algorithms",
        "A Las Vegas algorithm is always correct and its running time is random; a Monte Carlo algorithm runs in bounded time but may answer wrongly with small probability, which repetition drives down.",
        "A Las Vegas algorithm is always correct",
        "what is the difference between las vegas and monte carlo algorithms",
    ),
    Topic(
        "Bloom filters",
        "A Bloom filter answers membership with no false negatives but some false positives; with k hash functions and m bits for n keys the false positive rate is about (1 - e^(-kn/m))^k.",
        "no false negatives but some false positives",
        "can a bloom filter say an element is present when it is not",
    ),
    Topic(
        "Skip lists",
        "A skip list promotes each element to the next level with probability one half, giving expected logarithmic search over towers of linked lists without any rebalancing.",
        "with probability one half",
        "how does a skip list decide how tall each node is",
    ),
    Topic(
        "Segment trees",
        "A segment tree over an array answers range sum or range minimum queries and point updates in logarithmic time; lazy propagation defers range updates until a query needs them.",
        "lazy propagation",
        "how can I update a whole range in a segment tree without touching every element",
    ),
    Topic(
        "Fenwick trees",
        "A Fenwick tree, or binary indexed tree, stores partial sums indexed by the lowest set bit, computed as i AND minus i, and supports prefix sums and updates in logarithmic time with one array.",
        "computed as i AND minus i",
        "what is the trick with the lowest set bit in a binary indexed tree",
    ),
    Topic(
        "External memory sorting",
        "When the data does not fit in memory, external merge sort writes sorted runs to disk and merges them k at a time; the number of passes depends on the logarithm base k of the number of runs.",
        "writes sorted runs to disk",
        "how do you sort a file that is bigger than RAM",
    ),
    Topic(
        "Parallel algorithms and work-span",
        "In the work-span model, work is the total operations and span the longest chain of dependent steps; parallelism is work divided by span, and Brent's theorem bounds the time on p processors.",
        "Brent's theorem",
        "how do I estimate how fast an algorithm runs on many processors",
    ),
    Topic(
        "Cache-oblivious algorithms",
        "A cache-oblivious algorithm is analysed in the ideal cache model without knowing the block size; the van Emde Boas layout stores a search tree recursively so that searches touch few blocks at every level of memory.",
        "van Emde Boas layout",
        "how can an algorithm use the cache well without knowing the cache size",
    ),
)

SLIDES: tuple[Topic, ...] = (
    Topic(
        "Graph representations",
        "Adjacency lists use space proportional to vertices plus edges; an adjacency matrix answers whether an edge exists in constant time but needs space quadratic in the vertices.",
        "needs space quadratic in the vertices",
        "should I store a sparse graph as a matrix or as lists",
    ),
    Topic(
        "Breadth-first search",
        "Breadth-first search explores vertices in order of their distance in edges from the source, using a FIFO queue; it finds shortest paths in unweighted graphs.",
        "shortest paths in unweighted graphs",
        "which search gives the fewest hops between two people in a social network",
    ),
    Topic(
        "Depth-first search",
        "Depth-first search gives every vertex a discovery and a finishing time; an edge to a vertex still on the recursion stack is a back edge, and a back edge exists exactly when the graph has a cycle.",
        "a back edge exists exactly when the graph has a cycle",
        "how can DFS tell whether a directed graph has a cycle",
    ),
    Topic(
        "Topological sort",
        "Listing vertices in decreasing order of DFS finishing time gives a topological order of a directed acyclic graph, as does Kahn's algorithm removing vertices of in-degree zero.",
        "decreasing order of DFS finishing time",
        "how do I order tasks so every prerequisite comes before the course that needs it",
    ),
    Topic(
        "Dijkstra's algorithm",
        "Dijkstra's algorithm settles vertices in order of distance with a priority queue; it is correct only for non-negative edge weights, and with a binary heap runs in O((V + E) log V).",
        "correct only for non-negative edge weights",
        "why does dijkstra give wrong answers when some roads have negative cost",
    ),
    Topic(
        "Bellman-Ford",
        "Bellman-Ford relaxes every edge V - 1 times; if a further round still improves a distance, the graph has a negative cycle reachable from the source.",
        "relaxes every edge V - 1 times",
        "how can I detect a negative cycle",
    ),
    Topic(
        "All-pairs shortest paths",
        "Floyd-Warshall allows intermediate vertices one at a time, updating dist[i][j] with dist[i][k] + dist[k][j], in cubic time and quadratic space.",
        "allows intermediate vertices one at a time",
        "what is the idea behind floyd warshall's triple loop",
    ),
    Topic(
        "Minimum spanning trees",
        "Kruskal adds edges in increasing weight when they join two components, tracked with union-find; Prim grows one tree from a start vertex. Both rely on the cut property.",
        "Both rely on the cut property",
        "why are kruskal and prim both correct",
    ),
    Topic(
        "Maximum flow",
        "Ford-Fulkerson augments along paths in the residual graph; choosing shortest augmenting paths by BFS, the Edmonds-Karp rule, bounds the running time by O(V E^2).",
        "the Edmonds-Karp rule",
        "how do you make ford fulkerson terminate in polynomial time",
    ),
    Topic(
        "Max-flow min-cut",
        "The value of a maximum flow equals the capacity of a minimum cut; after the last augmentation, the vertices reachable from the source in the residual graph form the source side of a minimum cut.",
        "reachable from the source in the residual graph",
        "once I have the max flow how do I find the bottleneck edges",
    ),
    Topic(
        "Bipartite matching",
        "A maximum matching in a bipartite graph is a maximum flow from a super source to a super sink with unit capacities; Hall's theorem says when a perfect matching exists.",
        "Hall's theorem",
        "when can every student be assigned to a different project they like",
    ),
    Topic(
        "Strongly connected components",
        "Kosaraju's algorithm runs DFS on the graph, then DFS on the reversed graph in decreasing finishing time; each tree of the second pass is one strongly connected component.",
        "DFS on the reversed graph",
        "how do I find groups of web pages that all link to each other",
    ),
)

FILLER = (
    "Work through the exercises at the end of the chapter before the tutorial, and write down where you got stuck.",
    "Exam questions on this material ask for a short argument, not only a final answer: state the invariant first.",
    "Compare the running time with the methods of the previous pages, and say which input makes each one slow.",
    "Try a small example by hand with five or six elements; drawing the state after each step helps more than code.",
    "When you implement it, test the empty input, a single element, duplicates and the largest size you expect.",
    "The lecture recording covers the same ground at a slower pace; the slides repeat the definitions.",
    "A common mistake in past exams was to confuse the best case with the average case of the same method.",
    "Office hours are the place to bring a proof attempt that almost works; bring your notes and the exercise number.",
    "Pseudocode in this course uses arrays indexed from one unless a page says otherwise.",
    "Reading the proof once is rarely enough: close the notes and rebuild each step from the definitions.",
    "The optional reading at the end of the term paper list goes deeper into the history of this method.",
    "Keep a one-page summary of each topic with its definition, its running time and one example input.",
)


def questions() -> list[tuple[str, str, str]]:
    """(question, right file, key phrase) for every page and slide."""
    return [(t.question, NOTES, t.key) for t in PAGES] + [(t.question, DECK, t.key) for t in SLIDES]


def notes_pdf() -> bytes:
    """The 40-page notes: one topic per page, a heading, the topic's text and a page of study advice."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    for number, topic in enumerate(PAGES, 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(0, 9, f"{number}. {topic.title}")
        pdf.ln(3)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, topic.body)
        pdf.ln(3)
        for i in range(8):  # a page of a real handout holds more than its one point
            pdf.multi_cell(0, 6, FILLER[(number * 5 + i) % len(FILLER)])
            pdf.ln(2)
    return bytes(pdf.output())


def graphs_pptx() -> bytes:
    """The 12-slide deck: a title and the topic's text on each slide, speaker notes on every other one."""
    from pptx import Presentation

    deck = Presentation()
    layout = deck.slide_layouts[1]  # title and content
    for number, topic in enumerate(SLIDES, 1):
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = topic.title
        slide.placeholders[1].text_frame.text = topic.body
        if number % 2 == 0:
            slide.notes_slide.notes_text_frame.text = FILLER[number % len(FILLER)]
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()
